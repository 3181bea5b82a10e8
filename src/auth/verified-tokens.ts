import { LRUCache } from 'lru-cache';
import type { TokenClaims } from './auth-context.js';

/** Tokens remembered per instance: ~10k active clients, a few MB at ~250 bytes a token. */
const MAX_TOKENS = 10_000;

interface VerifiedToken {
  claims: TokenClaims;
  /** The token's `exp` in ms; the token is refused from then on, as a fresh verify would. */
  expiresAtMs: number;
}

/**
 * Tokens whose signature this instance has already checked. Verifying a JWT (decode, JSON-parse
 * header and payload, HMAC) cost ~60 µs of CPU per authenticated request, for a result that cannot
 * change: a token string is immutable and the secret is fixed for the process's life. Only the
 * expiry depends on the time, so it is checked on every use. Whether the session behind the token
 * is still live is not remembered here: SessionsService answers that per request (revocation is
 * pushed through the invalidation channel).
 */
export class VerifiedTokens {
  private readonly tokens = new LRUCache<string, VerifiedToken>({ max: MAX_TOKENS });

  /** The claims of a token verified before and not expired now, else undefined. */
  claimsOf(token: string, nowMs = Date.now()): TokenClaims | undefined {
    const known = this.tokens.get(token);
    if (known === undefined) return undefined;
    if (known.expiresAtMs <= nowMs) {
      this.tokens.delete(token);
      return undefined;
    }
    return known.claims;
  }

  /** Remembers a token whose signature and expiry were just verified (`exp` in seconds). */
  remember(token: string, claims: TokenClaims & { exp?: number }): void {
    // Tokens without an expiry are not issued by this app; they are simply verified every time.
    if (typeof claims.exp !== 'number') return;
    this.tokens.set(token, {
      claims: { sub: claims.sub, sid: claims.sid },
      expiresAtMs: claims.exp * 1000,
    });
  }
}
