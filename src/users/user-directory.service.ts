import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { CachePolicy } from '../cache/cache-policy.js';
import type { WriteEffects } from '../outbox/write-effects.js';
import { RedisKeys } from '../redis/keys.js';
import type { PublicProfile } from './public-profile.js';
import type { User } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

/**
 * Cache tag bumped (through the outbox, after the commit) by every change of a user's row: caches
 * that compose many public profiles (leaderboard pages) put its generation in their keys, so a
 * rename never shows the old name there. Profiles themselves are invalidated by key.
 */
export const PUBLIC_PROFILES_TAG = 'public-profiles';

/** A username that could exist: anything else is answered "not found" without any lookup. */
const PLAUSIBLE_USERNAME = /^[\p{L}\p{N}_.-]{1,40}$/u;

export function toPublicProfile(user: User): PublicProfile {
  return { id: user.id, username: user.username, bio: user.bio, image: user.image };
}

/**
 * Cached, viewer-independent profiles: `user:{id}:profile` plus the `user:name:{username}` -> id
 * mapping, both cache-aside with negative entries, so an unknown name costs Postgres one query per
 * negative TTL however often it is asked for.
 */
@Injectable()
export class UserDirectory {
  private readonly profilePolicy: CachePolicy;
  private readonly namePolicy: CachePolicy;

  constructor(
    private readonly users: UsersRepository,
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
  ) {
    this.profilePolicy = cache.policy('profile');
    this.namePolicy = cache.policy('username');
  }

  async findIdByUsername(username: string): Promise<number | null> {
    if (!PLAUSIBLE_USERNAME.test(username)) return null;
    return this.cache.get(
      this.keys.userIdByName(username),
      () => this.users.findIdByUsername(username),
      this.namePolicy,
    );
  }

  getById(userId: number): Promise<PublicProfile | null> {
    return this.cache.get(
      this.keys.userProfile(userId),
      async () => {
        const user = await this.users.findById(userId);
        return user ? toPublicProfile(user) : null;
      },
      this.profilePolicy,
    );
  }

  /** Profiles of many users in one pipelined Redis round trip (plus one query for the misses). */
  async getManyByIds(userIds: number[]): Promise<Map<number, PublicProfile | null>> {
    return this.cache.getMany(
      userIds,
      (id) => this.keys.userProfile(id),
      async (missing) => {
        const users = await this.users.findByIds(missing);
        return new Map(users.map((user) => [user.id, toPublicProfile(user)]));
      },
      this.profilePolicy,
    );
  }

  /**
   * Profiles of many users read from Postgres, bypassing both cache tiers: for a composed cache
   * entry built under a PUBLIC_PROFILES_TAG generation. A rename commits before it bumps the tag,
   * so Postgres holds the new name for anyone who read the new generation, where a cached profile
   * could still be the old one (its invalidation may not have reached this instance's tier yet).
   */
  async loadManyByIds(userIds: number[]): Promise<Map<number, PublicProfile>> {
    if (userIds.length === 0) return new Map();
    const users = await this.users.findByIds(userIds);
    return new Map(users.map((user) => [user.id, toPublicProfile(user)]));
  }

  async getByUsername(username: string): Promise<PublicProfile | null> {
    const id = await this.findIdByUsername(username);
    return id === null ? null : this.getById(id);
  }

  /**
   * What a change to this user makes stale: the profile and every name involved (for the outbox,
   * recorded in the write's transaction).
   */
  staleAfterChange(userId: number, ...usernames: string[]): Partial<WriteEffects> {
    return {
      cacheKeys: [
        this.keys.userProfile(userId),
        ...usernames.map((name) => this.keys.userIdByName(name)),
      ],
    };
  }

  /**
   * What an update of this user makes stale: as `staleAfterChange`, plus every composed cache of
   * public profiles (PUBLIC_PROFILES_TAG). Registration needs no bump: a new user is on no page.
   */
  staleAfterUpdate(userId: number, ...usernames: string[]): Partial<WriteEffects> {
    return { ...this.staleAfterChange(userId, ...usernames), tags: [PUBLIC_PROFILES_TAG] };
  }
}
