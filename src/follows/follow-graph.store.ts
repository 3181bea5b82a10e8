import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import type { PageCursor } from './cursor.js';
import type { FollowDirection, FollowEdge } from './follow-direction.js';
import {
  idMember,
  LOADED_SENTINEL,
  rebuildUnderLease,
  type ScratchWriter,
} from '../redis/lazy-structure.js';

/**
 * Zset members are zero-padded ids, so Redis orders equal scores by id, the same order as SQL.
 * Every loaded zset also holds LOADED_SENTINEL at score 0 (never listed: pages start above 0).
 */
const CHUNK = 1000;

/**
 * The follow graph in Redis: `user:{id}:following` and `user:{id}:followers` zsets (score = follow
 * time in ms). Writes apply only to loaded zsets; missing ones are rebuilt from Postgres under a
 * lease and swapped in atomically. Every call goes through the RedisGateway (bounded, counted);
 * methods throw on Redis errors and the service decides what to do.
 */
@Injectable()
export class FollowGraphStore {
  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly env: Env,
  ) {}

  zsetKey(userId: number, direction: FollowDirection): string {
    return direction === 'following' ? this.keys.following(userId) : this.keys.followers(userId);
  }

  /** Applies a committed follow (`followedAt` set) or unfollow (null) to both users' zsets. */
  async applyEdge(
    followerId: number,
    followeeId: number,
    followedAt: number | null,
  ): Promise<void> {
    const sides: [string, number][] = [
      [this.keys.following(followerId), followeeId],
      [this.keys.followers(followeeId), followerId],
    ];
    await this.redis.run('follows.apply', (redis) =>
      Promise.all(
        sides.map(([key, other]) =>
          followedAt === null
            ? redis.applyIfLoaded(key, RedisKeys.leaseOf(key), ['ZREM', idMember(other)])
            : redis.applyIfLoaded(key, RedisKeys.leaseOf(key), [
                'ZADD',
                String(followedAt),
                idMember(other),
              ]),
        ),
      ),
    );
  }

  /** A newest-first page after the cursor, or null when the zset is not loaded. */
  async page(
    userId: number,
    direction: FollowDirection,
    limit: number,
    after: PageCursor | undefined,
  ): Promise<FollowEdge[] | null> {
    const reply = await this.redis.run('follows.page', (redis) =>
      redis.zpageDesc(
        this.zsetKey(userId, direction),
        limit,
        after ? String(after.followedAt) : '',
        after ? idMember(after.userId) : '',
      ),
    );
    if (reply === null) return null;
    const edges: FollowEdge[] = [];
    for (let i = 0; i < reply.length; i += 2) {
      edges.push({ userId: Number(reply[i]), followedAt: Number(reply[i + 1]) });
    }
    return edges;
  }

  /** Every id of a loaded zset (the sentinel left out); null when it is not loaded. */
  async members(userId: number, direction: FollowDirection): Promise<number[] | null> {
    const members = await this.redis.run('follows.members', (redis) =>
      redis.loadedMembers(this.zsetKey(userId, direction)),
    );
    return members === null ? null : members.map(Number);
  }

  /**
   * For each id, whether the viewer follows it; null when the viewer's zset is not loaded. One
   * ZMSCORE, the sentinel asked first: a missing zset answers null for every member (one command,
   * so a rebuild swapped in meanwhile cannot split "loaded?" from the answers).
   */
  async follows(viewerId: number, userIds: number[]): Promise<boolean[] | null> {
    const [loaded, ...scores] = await this.redis.run('follows.flags', (redis) =>
      redis.zmScore(this.keys.following(viewerId), [LOADED_SENTINEL, ...userIds.map(idMember)]),
    );
    if (loaded === null) return null;
    return scores.map((score) => score !== null);
  }

  /**
   * Builds the zset from `edges` in a scratch key and swaps it in if no write touched it meanwhile.
   * Returns false when another instance holds the lease or a write intervened (nothing swapped).
   */
  async rebuild(
    userId: number,
    direction: FollowDirection,
    edges: AsyncIterable<FollowEdge[]>,
  ): Promise<boolean> {
    return rebuildUnderLease(
      this.redis,
      'follows.rebuild',
      this.zsetKey(userId, direction),
      this.env.CACHE_LEASE_MS * 5,
      zsetChunks(edges),
    );
  }
}

async function* zsetChunks(edges: AsyncIterable<FollowEdge[]>): AsyncIterable<ScratchWriter> {
  yield (redis, scratch) => redis.zAdd(scratch, { score: 0, value: LOADED_SENTINEL });
  for await (const chunk of edges) {
    for (let i = 0; i < chunk.length; i += CHUNK) {
      const members = chunk
        .slice(i, i + CHUNK)
        .map((edge) => ({ score: edge.followedAt, value: idMember(edge.userId) }));
      yield (redis, scratch) => redis.zAdd(scratch, members);
    }
  }
}
