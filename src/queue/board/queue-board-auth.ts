import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { extractToken } from '../../auth/auth.guard.js';
import { AuthService } from '../../auth/auth.service.js';
import { DomainError, ForbiddenError, UnauthorizedError } from '../../common/domain-error.js';
import { errorBody } from '../../common/realworld-errors.js';
import { UserRolesService } from '../../users/user-roles.service.js';

/** The board's UI and its JSON API live under this path (outside the /api prefix). */
export const QUEUE_BOARD_PATH = '/admin/queues';
/**
 * A browser cannot add an Authorization header to a page it navigates to, so the board also
 * accepts the admin's token from this cookie (scoped to the board's path; see README).
 */
export const QUEUE_BOARD_COOKIE = 'conduit_admin_token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a URL is the board's (the page, its assets, its JSON API). */
export function isBoardUrl(url: string): boolean {
  const path = url.split('?', 1)[0];
  return path === QUEUE_BOARD_PATH || path.startsWith(`${QUEUE_BOARD_PATH}/`);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === QUEUE_BOARD_COOKIE && value.length) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** A cookie is sent by the browser on any site's request: only same-origin writes may use it. */
function sameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = request.headers.origin;
  return origin !== undefined && new URL(origin).host === request.headers.host;
}

/**
 * Admission to Bull Board (mounted as a Fastify plugin, so Nest guards do not run for it): the
 * same rules as the app's admin routes, 401 without a valid token, 403 for a non-admin, in the
 * RealWorld error shape. The token comes from `Authorization: Token <jwt>` (or Bearer), else from
 * the QUEUE_BOARD_COOKIE cookie; a cookie-authenticated change (retry, clean, pause...) must come
 * from the board's own page (CSRF).
 */
@Injectable()
export class QueueBoardAuth {
  constructor(
    private readonly auth: AuthService,
    private readonly roles: UserRolesService,
  ) {}

  /** Answers the request (401/403/503) and returns false, or returns true to let it through. */
  async admit(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    try {
      const header = extractToken(request.headers.authorization);
      const token = header ?? cookieToken(request.headers.cookie);
      if (token === undefined) throw new UnauthorizedError('missing authorization token');
      const { userId } = await this.auth.authenticate(token);
      if (!(await this.roles.isAdmin(userId))) throw new ForbiddenError('admin role required');
      if (header === undefined && !SAFE_METHODS.has(request.method) && !sameOrigin(request)) {
        throw new ForbiddenError('cross-site request refused');
      }
      return true;
    } catch (error) {
      const status = error instanceof DomainError ? error.status : 503;
      const message = error instanceof DomainError ? error.message : 'temporarily unavailable';
      await reply.code(status).send(errorBody('body', message));
      return false;
    }
  }
}
