import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RequireAuth } from './auth.decorators.js';
import { ForbiddenError, UnauthorizedError } from '../common/domain-error.js';
import { UserRolesService } from '../users/user-roles.service.js';

/**
 * Runs after the global AuthGuard (global guards run first), which has already answered 401 for a
 * missing or bad token on @RequireAuth routes; this one answers 403 for a non-admin.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly roles: UserRolesService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const auth = context.switchToHttp().getRequest<FastifyRequest>().auth;
    if (!auth) throw new UnauthorizedError('missing authorization token');
    if (!(await this.roles.isAdmin(auth.userId))) {
      throw new ForbiddenError('admin role required');
    }
    return true;
  }
}

/** The route is for admins: 401 without a valid token, 403 for other users. */
export const RequireAdmin = () =>
  applyDecorators(RequireAuth(), UseGuards(AdminGuard), ApiSecurity('Token'));
