import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { adminEmails, Env } from '../config/env.schema.js';
import type { UserRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

/**
 * Who is an admin. The role lives in Postgres and is read from there on every admin request: admin
 * calls are rare, a primary-key lookup is cheap, and a demotion takes effect at once (a role baked
 * into a 30-day JWT, or a cache without invalidation, would not).
 */
@Injectable()
export class UserRolesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserRolesService.name);
  private readonly admins: Set<string>;

  constructor(
    private readonly users: UsersRepository,
    env: Env,
  ) {
    this.admins = new Set(adminEmails(env));
  }

  /** ADMIN_EMAILS is applied at every start-up, so a deployment converges on its configuration. */
  async onApplicationBootstrap(): Promise<void> {
    const promoted = await this.users.grantAdmin([...this.admins]);
    if (promoted.length > 0) {
      this.logger.log(`granted admin to ${promoted.length} user(s) listed in ADMIN_EMAILS`);
    }
  }

  /** The role a new account gets: admin when its (normalized) email is in ADMIN_EMAILS. */
  roleForNewUser(email: string): UserRole {
    return this.admins.has(email.trim().toLowerCase()) ? 'admin' : 'user';
  }

  async isAdmin(userId: number): Promise<boolean> {
    return (await this.users.roleOf(userId)) === 'admin';
  }

  /** Grants admin to an existing user (the admin:grant CLI). Returns false for an unknown email. */
  async grant(email: string): Promise<'granted' | 'already' | 'unknown'> {
    const normalized = email.trim().toLowerCase();
    if ((await this.users.grantAdmin([normalized])).length > 0) return 'granted';
    return (await this.users.findByEmail(normalized)) ? 'already' : 'unknown';
  }
}
