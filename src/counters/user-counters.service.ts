import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { AdvisoryLocks, type AdvisoryLock } from '../database/advisory-locks.js';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';

/** Counts one metric of one user from Postgres, on the given (lock-holding) connection. */
export type MetricLoader = (userId: number, manager: EntityManager) => Promise<number>;

/**
 * Counts one metric for a batch of users in one query (reconciliation); users left out count 0.
 * Runs on the given connection, which holds the batch's count locks.
 */
export type MetricBatchLoader = (
  userIds: number[],
  manager: EntityManager,
) => Promise<Map<number, number>>;

export type UserCounts = Record<UserMetric, number>;

/** Every metric, in display order. Metrics nobody registered count 0 (their module is absent). */
export const USER_METRICS: readonly UserMetric[] = [
  'articles',
  'followers',
  'following',
  'likes',
  'views',
];
const ALL_METRICS = USER_METRICS;

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

/**
 * Per-user aggregate counts in `user:{id}:count` (hash) and the `count:{user:<metric>}`
 * leaderboards. Feature modules register how to count their metric from Postgres and report
 * deltas after their writes commit.
 *
 * Exactness: a delta is applied only to a loaded hash (HINCRBY on a missing hash would create a
 * partial one). Writers hold a shared advisory lock on the user from before their commit until
 * their delta is applied; a fill takes the exclusive lock, so it never reads the database between
 * a writer's commit and its delta, the one moment at which it would count that write twice.
 */
@Injectable()
export class UserCountersService {
  private readonly loaders = new Map<UserMetric, MetricLoader>();
  private readonly batchLoaders = new Map<UserMetric, MetricBatchLoader>();
  private readonly inflight = new Map<number, Promise<UserCounts>>();

  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly locks: AdvisoryLocks,
    private readonly cache: CacheAsideService,
  ) {}

  /**
   * Declares how to count a metric from Postgres: per user (hash fills) and, optionally, for a
   * batch of users in one query (reconciliation; without it, reconciliation calls `loader` once
   * per user).
   */
  register(metric: UserMetric, loader: MetricLoader, batchLoader?: MetricBatchLoader): void {
    this.loaders.set(metric, loader);
    if (batchLoader) this.batchLoaders.set(metric, batchLoader);
    else this.batchLoaders.delete(metric);
  }

  /** Metrics some module counts; the others are always 0 (their module is not installed). */
  registeredMetrics(): UserMetric[] {
    return USER_METRICS.filter((metric) => this.loaders.has(metric));
  }

  /** The exact counts of every registered metric for a batch of users (absent users count 0). */
  async countBatch(
    userIds: number[],
    manager: EntityManager,
  ): Promise<Map<UserMetric, Map<number, number>>> {
    const result = new Map<UserMetric, Map<number, number>>();
    for (const metric of this.registeredMetrics()) {
      const batchLoader = this.batchLoaders.get(metric);
      if (batchLoader) {
        result.set(metric, await batchLoader(userIds, manager));
        continue;
      }
      const loader = this.loaders.get(metric)!;
      const counts = new Map<number, number>();
      for (const id of userIds) counts.set(id, await loader(id, manager));
      result.set(metric, counts);
    }
    return result;
  }

  /** The lock a writer holds (shared) from before its commit until its deltas are applied. */
  writerLock(userId: number): AdvisoryLock {
    return { key: `user-counts:${userId}`, mode: 'shared' };
  }

  /** All counts of a user: from Redis when loaded, otherwise computed and loaded. */
  async get(userId: number): Promise<UserCounts> {
    try {
      const cached = await this.redis.run('counts.get', (redis) =>
        redis.hGetAll(this.keys.userCounts(userId)),
      );
      const counts = this.parse(cached);
      if (counts) return counts;
    } catch {
      // Counted and logged by the gateway: Postgres answers.
      return this.compute(userId);
    }
    const running = this.inflight.get(userId);
    if (running) return running;
    const filling = this.fill(userId).finally(() => this.inflight.delete(userId));
    this.inflight.set(userId, filling);
    return filling;
  }

  /** `get` for many users: one pipelined round trip, then a fill for each hash not loaded. */
  async getMany(userIds: number[]): Promise<Map<number, UserCounts>> {
    const result = new Map<number, UserCounts>();
    let hashes: Record<string, string>[] = [];
    try {
      hashes = await this.redis.run('counts.get', (redis) =>
        Promise.all(userIds.map((id) => redis.hGetAll(this.keys.userCounts(id)))),
      );
    } catch {
      // Counted and logged by the gateway: each user is computed below.
    }
    const missing: number[] = [];
    userIds.forEach((id, i) => {
      const counts = hashes[i] ? this.parse(hashes[i]) : null;
      if (counts) result.set(id, counts);
      else missing.push(id);
    });
    const filled = await Promise.all(missing.map((id) => this.get(id)));
    missing.forEach((id, i) => result.set(id, filled[i]));
    return result;
  }

  /**
   * Applies committed changes, e.g. `{ followers: +1 }`: to the user's hash (when loaded) and to
   * the leaderboards (when built). Call it while holding `writerLock(userId)`. Never throws: true
   * when Redis confirmed. On false the writer leaves its outbox row unconfirmed and a relay
   * recounts the user (`recount`); meanwhile the hash is dropped when Redis allows.
   */
  async apply(userId: number, deltas: Partial<Record<UserMetric, number>>): Promise<boolean> {
    const hashKey = this.keys.userCounts(userId);
    const entries = Object.entries(deltas).filter(([, delta]) => delta !== 0) as [
      UserMetric,
      number,
    ][];
    try {
      await this.redis.run('counts.apply', (redis) =>
        Promise.all(
          entries.flatMap(([metric, delta]) => [
            redis.hincrIfLoaded(hashKey, RedisKeys.leaseOf(hashKey), metric, delta),
            redis.leaderboardIncr(
              this.keys.leaderboard(metric),
              this.keys.leaderboardNext(metric),
              this.keys.leaderboardBuilt(metric),
              delta,
              String(userId),
            ),
          ]),
        ),
      );
      return true;
    } catch {
      // Counted and logged by the gateway. The writer's outbox row stays unconfirmed, so a relay
      // recounts this user; meanwhile the hash is dropped if Redis allows.
      await this.cache.invalidate(hashKey);
      return false;
    }
  }

  /**
   * Recomputes these users' counts from Postgres under their exclusive count locks (no writer is
   * between its commit and its delta), then drops their hashes (refilled lazily) and sets their
   * exact scores on the built boards and on a reconciliation's staging boards. Repairs a lost or
   * doubled delta. Runs on `on`'s connection when given. True when Redis confirmed; never throws.
   */
  async recount(userIds: number[], on?: EntityManager): Promise<boolean> {
    if (userIds.length === 0) return true;
    const metrics = this.registeredMetrics();
    try {
      await this.locks.runExclusiveMany(
        userIds.map((id) => this.writerLock(id).key),
        async (manager) => {
          const truth = await this.countBatch(userIds, manager);
          await this.redis.background('counts.recount', (redis) =>
            Promise.all([
              ...userIds.map((id) => {
                const hashKey = this.keys.userCounts(id);
                return redis.del([hashKey, RedisKeys.leaseOf(hashKey)]);
              }),
              ...metrics.flatMap((metric) =>
                userIds.map((id) =>
                  redis.leaderboardSet(
                    this.keys.leaderboard(metric),
                    this.keys.leaderboardNext(metric),
                    this.keys.leaderboardBuilt(metric),
                    truth.get(metric)!.get(id) ?? 0,
                    String(id),
                  ),
                ),
              ),
            ]),
          );
        },
        on,
      );
      return true;
    } catch {
      return false; // counted and logged by the gateway (or a Postgres error: retried by the relay)
    }
  }

  /** Registered metrics whose leaderboard Redis does not hold as built (lost, or never built). */
  async unbuiltBoards(): Promise<UserMetric[]> {
    const metrics = this.registeredMetrics();
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
  ): Promise<{ total: number; entries: LeaderboardEntry[] }> {
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

  private async fill(userId: number): Promise<UserCounts> {
    const hashKey = this.keys.userCounts(userId);
    return this.locks.run(
      [{ key: `user-counts:${userId}`, mode: 'exclusive' }],
      async (manager) => {
        // Another instance may have filled it while we waited for the lock.
        const filled = this.parse(
          await this.redis.run('counts.get', (redis) => redis.hGetAll(hashKey)).catch(() => ({})),
        );
        if (filled) return filled;
        const counts = await this.computeWith(userId, manager);
        const fields = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)]));
        await this.redis
          .run('counts.fill', (redis) => redis.multi().del(hashKey).hSet(hashKey, fields).exec())
          .catch(() => undefined);
        return counts;
      },
    );
  }

  private compute(userId: number): Promise<UserCounts> {
    return this.locks.run([], (manager) => this.computeWith(userId, manager));
  }

  private async computeWith(userId: number, manager: EntityManager): Promise<UserCounts> {
    const counts = Object.fromEntries(ALL_METRICS.map((metric) => [metric, 0])) as UserCounts;
    for (const [metric, loader] of this.loaders) counts[metric] = await loader(userId, manager);
    return counts;
  }

  /** A hash counts as loaded only when it has every registered metric. */
  private parse(hash: Record<string, string>): UserCounts | null {
    for (const metric of this.loaders.keys()) if (!(metric in hash)) return null;
    const counts = Object.fromEntries(ALL_METRICS.map((metric) => [metric, 0])) as UserCounts;
    for (const metric of ALL_METRICS) if (metric in hash) counts[metric] = Number(hash[metric]);
    return counts;
  }
}
