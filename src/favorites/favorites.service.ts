import { Injectable } from '@nestjs/common';
import { articleCacheKeys } from '../articles/article-cache-keys.js';
import { ARTICLES_TAG, type ArticleRef } from '../articles/article.model.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { effects } from '../outbox/write-effects.js';
import { RedisKeys } from '../redis/keys.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoriteIdsCache } from './favorite-ids-cache.js';
import { FavoritesStore } from './favorites.store.js';

/**
 * Favorite and unfavorite, under the same lock scheme as follows (the viewer-article pair
 * exclusive, the author's counts shared), so `favoritesCount`, the viewer's favorites set and the
 * author's `likes` move together and only when a row really changed.
 */
@Injectable()
export class FavoritesService {
  constructor(
    private readonly favorites: FavoritesRepository,
    private readonly store: FavoritesStore,
    private readonly counters: UserCountersService,
    private readonly locks: AdvisoryLocks,
    private readonly outbox: OutboxService,
    private readonly keys: RedisKeys,
    private readonly favoriteIds: FavoriteIdsCache,
  ) {}

  async set(viewerId: number, article: ArticleRef, favorite: boolean): Promise<void> {
    await this.locks.run(
      [
        { key: `favorite:${viewerId}:${article.id}`, mode: 'exclusive' },
        this.counters.writerLock(article.authorId),
      ],
      async (manager) => {
        // The row change, the article's count and the outbox row commit together, in one
        // statement; a repeated favorite or unfavorite moves nothing and records nothing.
        const fx = effects({
          cacheKeys: [...articleCacheKeys(this.keys, article.id), this.favoriteIds.key(viewerId)],
          tags: [ARTICLES_TAG],
          // The relay drops the set and recounts the author when the deltas failed.
          derivedKeys: [this.keys.favorites(viewerId)],
          recountUsers: [article.authorId],
        });
        const outboxId = favorite
          ? await this.favorites.add(manager, viewerId, article.id, fx)
          : await this.favorites.remove(manager, viewerId, article.id, fx);
        if (outboxId === null) return;
        const [member, counted] = await Promise.all([
          // A failure is counted and logged by the gateway; the relay drops the set instead.
          this.store.apply(article.id, viewerId, favorite).then(
            () => true,
            () => false,
          ),
          this.counters.apply(article.authorId, { likes: favorite ? 1 : -1 }),
        ]);
        await this.outbox.complete({ id: outboxId, effects: fx }, member && counted);
      },
    );
  }
}
