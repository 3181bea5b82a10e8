import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import {
  idMember,
  LOADED_SENTINEL,
  rebuildUnderLease,
  type ScratchWriter,
} from '../redis/lazy-structure.js';

/**
 * `user:{id}:favorites` sets (zero-padded article ids plus LOADED_SENTINEL: a missing key means
 * "not built yet"), for the viewer's `favorited` flags: a page asks one set, whatever the number
 * of its articles. Writes apply only to loaded sets (and kill a rebuild's lease); missing sets are
 * rebuilt from Postgres under a lease. Methods throw on Redis errors; the service falls back to
 * Postgres.
 */
@Injectable()
export class FavoritesStore {
  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly env: Env,
  ) {}

  async apply(articleId: number, userId: number, favorited: boolean): Promise<void> {
    const key = this.keys.favorites(userId);
    await this.redis.run('favorites.apply', (redis) =>
      redis.applyIfLoaded(key, RedisKeys.leaseOf(key), [
        favorited ? 'SADD' : 'SREM',
        idMember(articleId),
      ]),
    );
  }

  /**
   * Whether the user favorited each article; null when the set is not loaded. One SMISMEMBER,
   * the sentinel asked first: a missing set answers 0 for every member, a loaded one 1 for it.
   * On the master: the flags must show the viewer's own last write.
   */
  async flags(userId: number, articleIds: number[]): Promise<boolean[] | null> {
    const [loaded, ...flags] = await this.redis.run('favorites.flags', (redis) =>
      redis.smIsMember(this.keys.favorites(userId), [LOADED_SENTINEL, ...articleIds.map(idMember)]),
    );
    return loaded ? flags.map(Boolean) : null;
  }

  async rebuild(userId: number, articleIds: AsyncIterable<number[]>): Promise<boolean> {
    return rebuildUnderLease(
      this.redis,
      'favorites.rebuild',
      this.keys.favorites(userId),
      this.env.CACHE_LEASE_MS * 5,
      setChunks(articleIds),
    );
  }
}

async function* setChunks(ids: AsyncIterable<number[]>): AsyncIterable<ScratchWriter> {
  yield (redis, scratch) => redis.sAdd(scratch, LOADED_SENTINEL);
  for await (const chunk of ids) {
    const members = chunk.map(idMember);
    if (members.length) yield (redis, scratch) => redis.sAdd(scratch, members);
  }
}
