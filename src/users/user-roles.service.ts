import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { NotFoundError } from '../common/domain-error.js';
import { adminEmails } from '../config/env-readers.js';
import { Env } from '../config/env.schema.js';
import type { UserRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

/**
 * Who is an admin. The role lives in Postgres, never in the token (a role baked into a 30-day JWT
 * would outlive a demotion), and is read from Postgres on every admin request (one primary-key
 * lookup; admin traffic is small): a grant or demotion, by an admin or by the admin:grant CLI
 * (which talks to Postgres only), bites on the next request on every instance, with no cache to
 * invalidate.
 *
 * ADMIN_EMAILS only bootstraps a deployment that has no admin at all: at start-up and at
 * registration, listed emails become admins while nobody is. Once an admin exists it grants
 * nothing, so a user who changes their (unverified) email to a listed address gains nothing.
 */
@Injectable()
export class UserRolesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserRolesService.name);
  private readonly bootstrapEmails: Set<string>;

  constructor(
    private readonly users: UsersRepository,
    env: Env,
  ) {
    this.bootstrapEmails = new Set(adminEmails(env));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.bootstrapEmails.size === 0 || (await this.users.anyAdmin())) return;
    const promoted = await this.users.grantAdmin([...this.bootstrapEmails]);
    if (promoted.length > 0) {
      this.logger.log(`no admin yet: granted admin to ${promoted.length} user(s) in ADMIN_EMAILS`);
    }
  }

  /** The role of a new account: admin only for a listed email while the deployment has no admin. */
  async roleForNewUser(email: string): Promise<UserRole> {
    if (!this.bootstrapEmails.has(email.trim().toLowerCase())) return 'user';
    return (await this.users.anyAdmin()) ? 'user' : 'admin';
  }

  async isAdmin(userId: number): Promise<boolean> {
    return (await this.users.roleOf(userId)) === 'admin';
  }

  /** An admin grants or takes away the admin role (PUT /api/admin/users/:username/role). */
  async setRole(username: string, role: UserRole): Promise<void> {
    if (!(await this.users.setRole(username, role))) throw new NotFoundError('user not found');
  }
}
