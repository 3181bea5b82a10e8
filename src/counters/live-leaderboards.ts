import { Injectable } from '@nestjs/common';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { MetricRegistry, USER_METRICS } from './metric-registry.js';

/** The board was lost with Redis' data and a reconciliation has not rebuilt it yet. */
export class LeaderboardNotBuiltError extends Error {
  constructor(readonly metric: UserMetric) {
    super(`the ${metric} leaderboard is being rebuilt`);
  }
}

/** One leaderboard entry as stored: the user and the score. */
export interface LeaderboardEntry {
  userId: number;
  score: number;
}

export interface LeaderboardPage {
  /** Members of the board. */
  total: number;
  entries: LeaderboardEntry[];
}

/**
 * The live `count:{user:<metric>}` boards as readers see them, their `:built` markers and their
 * `:rev` revisions. Deltas
 * (UserCountersService.apply) move a board only while it is marked built; a reconciliation builds
 * a new board beside it and swaps it in, marked built (LeaderboardStagingStore).
 */
@Injectable()
export class LiveLeaderboards {
  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly registry: MetricRegistry,
  ) {}

  /**
   * One page of a leaderboard, highest score first: a rank range (ZRANGE REV), O(log N + limit)
   * however deep the page, plus ZCARD, in one round trip. Equal scores come in Redis' order for
   * equal scores, by member (the user id as a string) descending: deterministic across pages.
   * Throws on Redis errors (the leaderboards exist only in Redis) and LeaderboardNotBuiltError
   * while the board is being rebuilt after a data loss.
   */
  async leaderboardPage(
    metric: UserMetric,
    offset: number,
    limit: number,
  ): Promise<LeaderboardPage> {
    const key = this.keys.leaderboard(metric);
    // A page read: from a replica when replica reads are on (anonymous requests). The `:built`
    // marker shares the board's hash slot, so the MULTI is valid on Cluster.
    const [built, page, total] = await this.redis.read('leaderboard.page', (redis) =>
      redis
        .multi()
        .exists(this.keys.leaderboardBuilt(metric))
        .zRangeWithScores(key, offset, offset + limit - 1, { REV: true })
        .zCard(key)
        .exec<'typed'>(),
    );
    if (built === 0) throw new LeaderboardNotBuiltError(metric);
    return {
      total,
      entries: page.map(({ value, score }) => ({ userId: Number(value), score })),
    };
  }

  /**
   * What a page of the board is built from, as one string: the board's revision (every change of
   * the live board moves it, see the leaderboard scripts) and the generations of the cache `tags`
   * the page also depends on, read together in one round trip from Redis itself (never from the
   * in-process tier: a write answered by another instance must be seen at once). A page cached
   * under this version is exact as long as the version is current. Null when the board has no
   * revision yet (a board built before revisions existed, until its next change): nothing to key a
   * cached page by. Throws on Redis errors and LeaderboardNotBuiltError, as `leaderboardPage`.
   */
  async pageVersion(metric: UserMetric, tags: string[]): Promise<string | null> {
    // The marker and the revision share the board's hash slot: one MGET on Cluster too. The tags
    // live in other slots: separate commands, pipelined into the same round trip.
    const [[built, revision], ...generations] = await this.redis.read(
      'leaderboard.version',
      (redis) =>
        Promise.all([
          redis.mGet([this.keys.leaderboardBuilt(metric), this.keys.leaderboardRevision(metric)]),
          ...tags.map((tag) => redis.get(this.keys.cacheTag(tag))),
        ]),
    );
    if (built === null) throw new LeaderboardNotBuiltError(metric);
    if (revision === null) return null;
    return [revision, ...generations.map((generation) => generation ?? '0')].join('.');
  }

  /** Registered metrics whose leaderboard Redis does not hold as built (lost, or never built). */
  async unbuiltBoards(): Promise<UserMetric[]> {
    const metrics = this.registry.registeredMetrics();
    const built = await this.redis.background('leaderboard.built', (redis) =>
      Promise.all(metrics.map((metric) => redis.exists(this.keys.leaderboardBuilt(metric)))),
    );
    return metrics.filter((_, i) => built[i] === 0);
  }

  /**
   * Declares every board unbuilt (Redis may have come back with older data, e.g. a failover to a
   * lagging replica): deltas skip them and readers get 503 until a reconciliation rebuilds them.
   */
  async markBoardsUnbuilt(): Promise<void> {
    await this.redis.background('leaderboard.unbuild', (redis) =>
      redis.del(USER_METRICS.map((metric) => this.keys.leaderboardBuilt(metric))),
    );
  }
}
