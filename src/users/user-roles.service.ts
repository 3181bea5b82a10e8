import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { NotFoundError } from '../common/domain-error.js';
import { adminEmails } from '../config/env-readers.js';
import { Env } from '../config/env.schema.js';
import { PostgresNotifications } from '../database/postgres-notifications.js';
import type { UserRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

/** Postgres NOTIFY channel of role changes (migration NotifyRoleChanges: a trigger on users). */
export const ROLE_CHANNEL = 'user_role_changed';
/** Roles remembered per instance: admin routes see few users; beyond this the least recently used go. */
const MAX_CACHED_ROLES = 10_000;

/**
 * Who is an admin. The role lives in Postgres, never in the token (a role baked into a 30-day JWT
 * would outlive a demotion). Each instance remembers the roles it read, but only while its
 * Postgres listener is connected: a trigger on users NOTIFYs every role change at commit, whoever
 * made it (the API, the admin:grant CLI, SQL by hand), and the instance forgets that user at once.
 * A grant or demotion therefore bites on every instance within the notification's delivery
 * (milliseconds on loopback, measured in test/roles.e2e-spec.ts), and on the instance that made
 * it on the next request. With the listener down nothing is remembered and every admin request
 * reads Postgres, as before this cache (it saves a primary-key query per admin request: more than
 * half the CPU of a cached leaderboard page).
 *
 * ADMIN_EMAILS only bootstraps a deployment that has no admin at all: at start-up and at
 * registration, listed emails become admins while nobody is. Once an admin exists it grants
 * nothing, so a user who changes their (unverified) email to a listed address gains nothing.
 */
@Injectable()
export class UserRolesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UserRolesService.name);
  private readonly bootstrapEmails: Set<string>;
  private readonly roles = new LRUCache<number, UserRole>({ max: MAX_CACHED_ROLES });
  /**
   * Moves on every notification and connection change. A read that started before a move does
   * not store its answer: it may predate the change the notification announced.
   */
  private generation = 0;
  private subscribed = false;

  constructor(
    private readonly users: UsersRepository,
    private readonly notifications: PostgresNotifications,
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
    return (await this.roleOf(userId)) === 'admin';
  }

  /** An admin grants or takes away the admin role (PUT /api/admin/users/:username/role). */
  async setRole(username: string, role: UserRole): Promise<void> {
    const changed = await this.users.setRole(username, role);
    // Not waiting for our own notification: this instance's next request sees the change.
    this.forget('*');
    if (!changed) throw new NotFoundError('user not found');
  }

  private async roleOf(userId: number): Promise<UserRole | null> {
    this.listen();
    const listening = this.notifications.isListening();
    if (listening) {
      const known = this.roles.get(userId);
      if (known !== undefined) return known;
    }
    const generation = this.generation;
    const role = await this.users.roleOf(userId);
    if (listening && role !== null && generation === this.generation) this.roles.set(userId, role);
    return role;
  }

  /** Subscribes on the first admin request: an instance that serves none holds no listener. */
  private listen(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    this.notifications.subscribe(ROLE_CHANNEL, {
      notified: (payload) => this.forget(payload),
      // Changes made while nobody listened were never announced: start from nothing.
      listening: () => this.forget('*'),
      lost: () => this.forget('*'),
    });
  }

  /** A user id, or '*' for everyone. */
  private forget(who: string): void {
    this.generation++;
    const id = Number(who);
    if (who !== '*' && Number.isSafeInteger(id)) this.roles.delete(id);
    else this.roles.clear();
  }
}
