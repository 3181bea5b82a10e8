import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { AdvisoryLocks, type AdvisoryLock } from '../database/advisory-locks.js';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import type { RedisClient } from '../redis/redis.client.js';
import { InjectRedis } from '../redis/redis.constants.js';
import { withTimeout } from '../redis/with-timeout.js';

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
  private readonly logger = new Logger(UserCountersService.name);
  private readonly loaders = new Map<UserMetric, MetricLoader>();
  private readonly batchLoaders = new Map<UserMetric, MetricBatchLoader>();
  private readonly inflight = new Map<number, Promise<UserCounts>>();

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly locks: AdvisoryLocks,
    private readonly cache: CacheAsideService,
    private readonly metrics: MetricsService,
    private readonly env: Env,
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
      const cached = await withTimeout(
        this.redis.hGetAll(this.keys.userCounts(userId)),
        this.env.REDIS_COMMAND_TIMEOUT_MS,
      );
      const counts = this.parse(cached);
      if (counts) return counts;
    } catch (error) {
      this.redisFailed('counts.get', error);
      return this.compute(userId);
    }
    const running = this.inflight.get(userId);
    if (running) return running;
    const filling = this.fill(userId).finally(() => this.inflight.delete(userId));
    this.inflight.set(userId, filling);
    return filling;
  }

  /**
   * Applies committed changes, e.g. `{ followers: +1 }`: to the user's hash (when loaded) and to
   * the leaderboards. Call it while holding `writerLock(userId)`. Never throws: if Redis fails, the
   * hash is invalidated (now or when Redis is back) and rebuilt from Postgres on the next read.
   */
  async apply(userId: number, deltas: Partial<Record<UserMetric, number>>): Promise<void> {
    const hashKey = this.keys.userCounts(userId);
    const entries = Object.entries(deltas).filter(([, delta]) => delta !== 0) as [
      UserMetric,
      number,
    ][];
    try {
      await Promise.all(
        entries.flatMap(([metric, delta]) => [
          this.redis.hincrIfLoaded(hashKey, RedisKeys.leaseOf(hashKey), metric, delta),
          this.redis.leaderboardIncr(
            this.keys.leaderboard(metric),
            this.keys.leaderboardNext(metric),
            delta,
            String(userId),
          ),
        ]),
      );
    } catch (error) {
      this.redisFailed('counts.apply', error);
      await this.cache.invalidate(hashKey);
    }
  }

  /**
   * One page of a leaderboard, highest score first: a rank range (ZRANGE REV), O(log N + limit)
   * however deep the page, plus ZCARD, in one round trip. Equal scores come in Redis' order for
   * equal scores, by member (the user id as a string) descending: deterministic across pages.
   * Throws on Redis errors: the leaderboards exist only in Redis.
   */
  async leaderboardPage(
    metric: UserMetric,
    offset: number,
    limit: number,
  ): Promise<{ total: number; entries: LeaderboardEntry[] }> {
    const key = this.keys.leaderboard(metric);
    const [page, total] = await withTimeout(
      this.redis
        .multi()
        .zRangeWithScores(key, offset, offset + limit - 1, { REV: true })
        .zCard(key)
        .exec<'typed'>(),
      this.env.REDIS_COMMAND_TIMEOUT_MS,
    );
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
        const filled = this.parse(await this.redis.hGetAll(hashKey).catch(() => ({})));
        if (filled) return filled;
        const counts = await this.computeWith(userId, manager);
        try {
          await this.redis
            .multi()
            .del(hashKey)
            .hSet(
              hashKey,
              Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)])),
            )
            .exec();
        } catch (error) {
          this.redisFailed('counts.fill', error);
        }
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

  private redisFailed(operation: string, error: unknown): void {
    this.metrics.countRedisError(operation);
    this.logger.warn(`Redis ${operation} failed: ${String(error)}`);
  }
}
