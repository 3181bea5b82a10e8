import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { IdSetCache } from '../cache/id-set-cache.js';
import { RedisKeys } from '../redis/keys.js';

/**
 * Everyone a user follows as one cache entry (`user:{id}:followees`, see IdSetCache) in front of
 * the `following` zset, so a feed reader's followees and a page's `following` flags come from the
 * in-process tier without a Redis round trip. Evicted by each follow or unfollow of the user;
 * loaded again by their next feed read, or in the background by their next page's flags.
 */
@Injectable()
export class FolloweesCache {
  private readonly ids: IdSetCache;

  constructor(cache: CacheAsideService, keys: RedisKeys) {
    this.ids = new IdSetCache(cache, cache.policy('followees'), (userId) => keys.followees(userId));
  }

  key(userId: number): string {
    return this.ids.keyOf(userId);
  }

  /** The user's followee ids: cached, or `load`ed (the zset, else Postgres) and cached. */
  async get(userId: number, load: () => Promise<number[]>): Promise<number[]> {
    return (await this.ids.get(userId, load)) ?? [];
  }

  /** The user's followees as a set when the in-process tier holds them (undefined otherwise). */
  heldSet(userId: number): ReadonlySet<number> | undefined {
    return this.ids.heldSet(userId) ?? undefined;
  }

  /** Loads the entry in the background (see IdSetCache.warm), for the user's next pages. */
  warm(userId: number, load: () => Promise<number[]>): void {
    this.ids.warm(userId, load);
  }
}
