import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { CachePolicy } from '../cache/cache-policy.js';
import { adminEmails, Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import type { UserRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

/**
 * Who is an admin. The role lives in Postgres, never in the token (a role baked into a 30-day JWT
 * would outlive a demotion). It is cached per user (`user:{id}:role`) with a short TTL: grants made
 * through the app invalidate it at once; the admin:grant CLI, which talks to Postgres only, takes
 * effect within ROLE_CACHE_SECONDS. Without the cache, every leaderboard read paid a SQL query.
 */
const ROLE_CACHE_SECONDS = 60;
@Injectable()
export class UserRolesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserRolesService.name);
  private readonly admins: Set<string>;

  private readonly rolePolicy: CachePolicy;

  constructor(
    private readonly users: UsersRepository,
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
    env: Env,
  ) {
    this.admins = new Set(adminEmails(env));
    this.rolePolicy = cache.policy('role', { ttlSeconds: ROLE_CACHE_SECONDS, jitterSeconds: 5 });
  }

  /** ADMIN_EMAILS is applied at every start-up, so a deployment converges on its configuration. */
  async onApplicationBootstrap(): Promise<void> {
    const promoted = await this.users.grantAdmin([...this.admins]);
    await this.cache.invalidate(...promoted.map((id) => this.keys.userRole(id)));
    if (promoted.length > 0) {
      this.logger.log(`granted admin to ${promoted.length} user(s) listed in ADMIN_EMAILS`);
    }
  }

  /** The role a new account gets: admin when its (normalized) email is in ADMIN_EMAILS. */
  roleForNewUser(email: string): UserRole {
    return this.admins.has(email.trim().toLowerCase()) ? 'admin' : 'user';
  }

  async isAdmin(userId: number): Promise<boolean> {
    const role = await this.cache.get(
      this.keys.userRole(userId),
      () => this.users.roleOf(userId),
      this.rolePolicy,
    );
    return role === 'admin';
  }

  /** Grants admin to an existing user (the admin:grant CLI). Returns false for an unknown email. */
  async grant(email: string): Promise<'granted' | 'already' | 'unknown'> {
    const normalized = email.trim().toLowerCase();
    const promoted = await this.users.grantAdmin([normalized]);
    await this.cache.invalidate(...promoted.map((id) => this.keys.userRole(id)));
    if (promoted.length > 0) return 'granted';
    return (await this.users.findByEmail(normalized)) ? 'already' : 'unknown';
  }
}
