import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../common/domain-error.js';
import { AUTH_MODE, type AuthMode } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { OnlineUsersService } from '../stats/online-users.service.js';

const SCHEMES = new Set(['token', 'bearer']);

/** Reads `Authorization: Token <jwt>` (or `Bearer <jwt>`); returns undefined when absent. */
export function extractToken(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const [scheme, token, ...rest] = header.trim().split(/\s+/);
  if (!SCHEMES.has(scheme.toLowerCase()) || !token || rest.length > 0) {
    throw new UnauthorizedError('authorization header must be "Token <jwt>"');
  }
  return token;
}

/**
 * Global guard. Routes marked @RequireAuth need a valid token; @OptionalAuth routes accept a
 * missing one but reject a bad one (a client that sends a token expects it to count).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly online: OnlineUsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const mode = this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (mode === undefined) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = extractToken(request.headers.authorization);
    if (token === undefined) {
      if (mode === 'required') throw new UnauthorizedError('missing authorization token');
      return true;
    }
    request.auth = await this.auth.authenticate(token);
    // Presence: throttled, fire-and-forget, never fails the request.
    this.online.markSeen(request.auth.userId);
    return true;
  }
}
