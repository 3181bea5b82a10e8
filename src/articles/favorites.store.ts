import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import type { RedisClient } from '../redis/redis.client.js';
import { InjectRedis } from '../redis/redis.constants.js';
import { idMember, LOADED_SENTINEL, rebuildUnderLease } from '../redis/lazy-structure.js';
import { withTimeout } from '../redis/with-timeout.js';

/** Sets hold zero-padded user ids plus LOADED_SENTINEL: a missing key means "not built yet". */

/**
 * `article:{id}:favoriters` sets, for the per-viewer `favorited` flag. Writes apply only to loaded
 * sets (and kill a rebuild's lease); missing sets are rebuilt from Postgres under a lease. Methods
 * throw on Redis errors; the service falls back to Postgres.
 */
@Injectable()
export class FavoritesStore {
  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly env: Env,
  ) {}

  async apply(articleId: number, userId: number, favorited: boolean): Promise<void> {
    const key = this.keys.articleFavoriters(articleId);
    await this.redis.applyIfLoaded(key, RedisKeys.leaseOf(key), [
      favorited ? 'SADD' : 'SREM',
      idMember(userId),
    ]);
  }

  /** Per article: true/false when its set is loaded, undefined when it is not. */
  async flags(userId: number, articleIds: number[]): Promise<(boolean | undefined)[]> {
    const replies = await withTimeout(
      Promise.all(
        articleIds.flatMap((id) => {
          const key = this.keys.articleFavoriters(id);
          return [this.redis.exists(key), this.redis.sIsMember(key, idMember(userId))];
        }),
      ),
      this.env.REDIS_COMMAND_TIMEOUT_MS,
    );
    return articleIds.map((_, i) => (replies[2 * i] ? replies[2 * i + 1] === 1 : undefined));
  }

  async rebuild(articleId: number, userIds: AsyncIterable<number[]>): Promise<boolean> {
    return rebuildUnderLease(
      this.redis,
      this.keys.articleFavoriters(articleId),
      this.env.CACHE_LEASE_MS * 5,
      async (scratch) => {
        await this.redis.sAdd(scratch, LOADED_SENTINEL);
        for await (const chunk of userIds) {
          if (chunk.length) await this.redis.sAdd(scratch, chunk.map(idMember));
        }
      },
    );
  }

  async drop(articleId: number): Promise<void> {
    await this.redis.unlink(this.keys.articleFavoriters(articleId));
  }
}
