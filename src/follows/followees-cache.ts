import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { CachePolicy } from '../cache/cache-policy.js';
import { RedisKeys } from '../redis/keys.js';

/**
 * Everyone a user follows as one cache-aside entry (`user:{id}:followees`, the ids as JSON) in
 * front of the `following` zset, so a feed reader's followees come from the in-process tier
 * without a Redis round trip. Each follow or unfollow by the user evicts it (a cache key of its
 * outbox row: the writer evicts it after the commit, the relay when the writer could not), and
 * every instance's tier drops it on the invalidation channel, as for any cached entry.
 */
@Injectable()
export class FolloweesCache {
  private readonly policy: CachePolicy;
  /** Sets of the followee arrays the tier handed out (dropped with them). */
  private readonly sets = new WeakMap<readonly number[], ReadonlySet<number>>();

  constructor(
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
  ) {
    this.policy = cache.policy('followees');
  }

  key(userId: number): string {
    return this.keys.followees(userId);
  }

  /** The user's followee ids: cached, or `load`ed (the zset, else Postgres) and cached. */
  async get(userId: number, load: () => Promise<number[]>): Promise<number[]> {
    return (await this.cache.get(this.key(userId), load, this.policy)) ?? [];
  }

  /**
   * The user's followees as a set when the in-process tier holds them (undefined otherwise). The
   * tier hands out one shared array per entry, so the set is built once per entry, not per call.
   */
  heldSet(userId: number): ReadonlySet<number> | undefined {
    const ids = this.cache.peek<number[]>(this.key(userId));
    if (!ids) return undefined;
    let set = this.sets.get(ids);
    if (!set) {
      set = new Set(ids);
      this.sets.set(ids, set);
    }
    return set;
  }
}
