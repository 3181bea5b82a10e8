import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { UnauthorizedError } from '../common/domain-error.js';
import type { AuthContext, TokenClaims } from './auth-context.js';
import { SessionsService } from './sessions.service.js';
import { VerifiedTokens } from './verified-tokens.js';

/** Issues tokens bound to a server-side session, verifies them, and revokes them. */
@Injectable()
export class AuthService {
  private readonly verified = new VerifiedTokens();

  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionsService,
  ) {}

  async issueToken(userId: number): Promise<string> {
    const { sessionId } = await this.sessions.open(userId);
    const claims: TokenClaims = { sub: userId, sid: sessionId };
    return this.jwt.signAsync(claims);
  }

  /** Checks signature, expiry and that the session is still live. Throws UnauthorizedError. */
  async authenticate(token: string): Promise<AuthContext> {
    const claims = this.verified.claimsOf(token) ?? (await this.verify(token));
    if (!(await this.sessions.isActive(claims.sid, claims.sub))) {
      throw new UnauthorizedError('session has ended; log in again');
    }
    return { userId: claims.sub, sessionId: claims.sid, token };
  }

  /** Signature and expiry (jsonwebtoken), then the claims' shape; remembered when valid. */
  private async verify(token: string): Promise<TokenClaims> {
    let claims: TokenClaims & { exp?: number };
    try {
      claims = await this.jwt.verifyAsync<TokenClaims & { exp?: number }>(token);
    } catch {
      throw new UnauthorizedError('invalid or expired token');
    }
    if (!Number.isSafeInteger(claims.sub) || typeof claims.sid !== 'string') {
      throw new UnauthorizedError('invalid token');
    }
    this.verified.remember(token, claims);
    return claims;
  }

  logout(auth: AuthContext): Promise<void> {
    return this.sessions.revoke(auth.sessionId);
  }

  /** Ends every session of the caller except the one behind this request; returns how many. */
  revokeOtherSessions(auth: AuthContext): Promise<number> {
    return this.sessions.revokeAllBut(auth.userId, auth.sessionId);
  }
}
