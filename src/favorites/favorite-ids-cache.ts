import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { IdSetCache } from '../cache/id-set-cache.js';
import { RedisKeys } from '../redis/keys.js';
import { FavoritesRepository } from './favorites.repository.js';

/**
 * Favorites listed in one entry at most: a heavier favoriter's flags come from their Redis set
 * (one SMISMEMBER a page) rather than from an entry every favorite rewrites whole.
 */
export const MAX_CACHED_FAVORITES = 1000;

/**
 * Every article a user favorited as one cache entry (`user:{id}:favorite-ids`, see IdSetCache),
 * so a page's `favorited` flags come from the in-process tier without a Redis round trip. Evicted
 * by each favorite or unfavorite of the user. Deleted articles may stay listed until then: they
 * are never on a page, so their flag is never asked.
 */
@Injectable()
export class FavoriteIdsCache {
  private readonly ids: IdSetCache;

  constructor(
    cache: CacheAsideService,
    keys: RedisKeys,
    private readonly favorites: FavoritesRepository,
  ) {
    this.ids = new IdSetCache(cache, cache.policy('favorite_ids'), (userId) =>
      keys.favoriteIds(userId),
    );
  }

  key(userId: number): string {
    return this.ids.keyOf(userId);
  }

  /**
   * The user's favorites as a set when the in-process tier holds them; null when they are too
   * many to be listed, undefined when the tier holds nothing (see `warm`).
   */
  heldSet(userId: number): ReadonlySet<number> | null | undefined {
    return this.ids.heldSet(userId);
  }

  /** Loads the entry in the background (from Postgres), for the user's next pages. */
  warm(userId: number): void {
    this.ids.warm(userId, () => this.favorites.favoritedIdsUpTo(userId, MAX_CACHED_FAVORITES));
  }
}
