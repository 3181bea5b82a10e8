import {
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from './auth-context.js';

export const AUTH_MODE = 'auth:mode';
export type AuthMode = 'required' | 'optional';

/** The route needs a valid token: 401 without one. */
export const RequireAuth = () => SetMetadata(AUTH_MODE, 'required' satisfies AuthMode);

/** The route serves anonymous callers too, but knows the caller when a token is sent. */
export const OptionalAuth = () => SetMetadata(AUTH_MODE, 'optional' satisfies AuthMode);

/** The authenticated caller (use on @RequireAuth routes). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthContext => {
    const auth = context.switchToHttp().getRequest<FastifyRequest>().auth;
    if (!auth) throw new UnauthorizedException('authentication required');
    return auth;
  },
);

/** The caller if a token was sent, otherwise undefined (use on @OptionalAuth routes). */
export const Viewer = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthContext | undefined =>
    context.switchToHttp().getRequest<FastifyRequest>().auth,
);
