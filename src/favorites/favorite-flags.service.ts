import { Injectable } from '@nestjs/common';
import { inBackground } from '../database/query-origin.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoritesStore } from './favorites.store.js';

/**
 * The viewer's `favorited` flag per article, for the article presenter: from the viewer's
 * favorites set (one SMISMEMBER), or from Postgres when it is not loaded (rebuilt meanwhile) or
 * Redis failed.
 */
@Injectable()
export class FavoriteFlags {
  constructor(
    private readonly favorites: FavoritesRepository,
    private readonly store: FavoritesStore,
  ) {}

  /** Whether the viewer favorited each article. */
  async of(viewerId: number, articleIds: number[]): Promise<boolean[]> {
    // No article (an empty page): nothing to ask, even while Redis is down.
    if (articleIds.length === 0) return [];
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
