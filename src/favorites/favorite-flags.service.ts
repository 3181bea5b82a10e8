import { Injectable } from '@nestjs/common';
import { inBackground } from '../database/query-origin.js';
import { FavoriteIdsCache } from './favorite-ids-cache.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoritesStore } from './favorites.store.js';

/**
 * The viewer's `favorited` flag per article, for the article presenter: from the viewer's
 * favorites held in the in-process tier (FavoriteIdsCache: no Redis at all), else the viewer's
 * favorites set (one SMISMEMBER), else Postgres when the set is not loaded (rebuilt meanwhile) or
 * Redis failed.
 */
@Injectable()
export class FavoriteFlags {
  constructor(
    private readonly favorites: FavoritesRepository,
    private readonly store: FavoritesStore,
    private readonly cached: FavoriteIdsCache,
  ) {}

  /** Whether the viewer favorited each article. */
  async of(viewerId: number, articleIds: number[]): Promise<boolean[]> {
    // No article (an empty page): nothing to ask, even while Redis is down.
    if (articleIds.length === 0) return [];
    const held = this.cached.heldSet(viewerId);
    if (held) return articleIds.map((id) => held.has(id));
    // Not in the tier (undefined): loaded for the next pages. Too many to list (null): the set.
    if (held === undefined) this.cached.warm(viewerId);
    let answeredNotLoaded = false;
    try {
      const flags = await this.store.flags(viewerId, articleIds);
      if (flags) return flags;
      answeredNotLoaded = true;
    } catch {
      // Counted and logged by the gateway: Postgres answers, and nothing is rebuilt now.
    }
    const fromDb = await this.favorites.favoritedAmong(viewerId, articleIds);
    if (answeredNotLoaded) this.rebuildInBackground(viewerId);
    return articleIds.map((id) => fromDb.has(id));
  }

  private rebuildInBackground(viewerId: number): void {
    // A failure is counted and logged by the gateway; the next read tries again. Not the
    // request's work: its SQL counts as background (the request already answered from Postgres).
    inBackground(() => this.store.rebuild(viewerId, this.favorites.favoritedIds(viewerId))).catch(
      () => undefined,
    );
  }
}
