import { Injectable } from '@nestjs/common';
import { inBackground } from '../database/query-origin.js';
import type { MemberFlag, MembershipProbe } from '../redis/scripts/index.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoritesStore } from './favorites.store.js';

/**
 * The viewer's `favorited` flag per article, for the article presenter: asked as membership
 * probes batched with the page's other flags (one Redis command), answered from the viewer's
 * favorites set, or from Postgres when it is not loaded (rebuilt meanwhile) or Redis failed.
 */
@Injectable()
export class FavoriteFlags {
  constructor(
    private readonly favorites: FavoritesRepository,
    private readonly store: FavoritesStore,
  ) {}

  /** "Did the viewer favorite each article?" as probes for RedisGateway.memberFlags. */
  probes(viewerId: number, articleIds: number[]): MembershipProbe[] {
    return this.store.probes(viewerId, articleIds);
  }

  /** The flags from the probes' answers (undefined: Redis failed, Postgres answers all). */
  async from(
    viewerId: number,
    articleIds: number[],
    answers: MemberFlag[] | undefined,
  ): Promise<boolean[]> {
    const unknown = articleIds.filter((_, i) => answers === undefined || answers[i] === -1);
    // No article (an empty page) or every answer known: nothing to ask Postgres.
    if (unknown.length === 0) return articleIds.map((_, i) => answers?.[i] === 1);
    const fromDb = await this.favorites.favoritedAmong(viewerId, unknown);
    if (answers) this.rebuildInBackground(viewerId);
    return articleIds.map((id, i) =>
      answers === undefined || answers[i] === -1 ? fromDb.has(id) : answers[i] === 1,
    );
  }

  private rebuildInBackground(viewerId: number): void {
    // A failure is counted and logged by the gateway; the next read tries again. Not the
    // request's work: its SQL counts as background (the request already answered from Postgres).
    inBackground(() => this.store.rebuild(viewerId, this.favorites.favoritedIds(viewerId))).catch(
      () => undefined,
    );
  }
}
