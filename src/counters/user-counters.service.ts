import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { AdvisoryLocks, type AdvisoryLock } from '../database/advisory-locks.js';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import {
  MetricRegistry,
  type MetricBatchLoader,
  type MetricLoader,
  type UserCounts,
} from './metric-registry.js';

/**
 * Per-user aggregate counts in `user:{id}:count` (hash), and the deltas that move them and the
 * `count:{user:<metric>}` leaderboards. Feature modules register how to count their metric from
 * Postgres (MetricRegistry) and report deltas after their writes commit; the boards are read
 * through LiveLeaderboards.
 *
 * Exactness: a delta is applied only to a loaded hash (HINCRBY on a missing hash would create a
 * partial one). Writers hold a shared advisory lock on the user from before their commit until
 * their delta is applied; a fill takes the exclusive lock, so it never reads the database between
 * a writer's commit and its delta, the one moment at which it would count that write twice.
 */
@Injectable()
export class UserCountersService {
  private readonly inflight = new Map<number, Promise<UserCounts>>();

  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly locks: AdvisoryLocks,
    private readonly cache: CacheAsideService,
    private readonly registry: MetricRegistry,
  ) {}

  /**
   * Declares how to count a metric from Postgres: per user (hash fills) and, optionally, for a
   * batch of users in one query (reconciliation; without it, a batch calls `loader` once per
   * user). Feature modules call it when they start.
   */
  register(metric: UserMetric, loader: MetricLoader, batchLoader?: MetricBatchLoader): void {
    this.registry.register(metric, loader, batchLoader);
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
      const counts = this.registry.parseHash(cached);
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

  /**
   * Some counts of many users: per metric asked, the users' values in the order of `userIds`.
   * One command for all the loaded hashes (only the asked fields travel), then `get` (a fill) for
   * each user whose hash is not loaded. A hash is taken as loaded when it holds every asked metric
   * that is registered (unregistered ones count 0): fills write every metric at once and deltas
   * move only loaded hashes, so a field present is exact.
   */
  async columns(userIds: number[], metrics: UserMetric[]): Promise<number[][]> {
    const registered = metrics.map((metric) => this.registry.isRegistered(metric));
    const n = metrics.length;
    let values: (string | null)[] = [];
    try {
      values = await this.redis.hashFields(
        'counts.get',
        userIds.map((id) => this.keys.userCounts(id)),
        metrics,
      );
    } catch {
      // Counted and logged by the gateway: each user is computed below.
    }
    const columns = metrics.map(() => new Array<number>(userIds.length).fill(0));
    const missing: number[] = [];
    for (let u = 0; u < userIds.length; u++) {
      for (let m = 0; m < n; m++) {
        const value = values[u * n + m];
        if (value === null || value === undefined) {
          if (!registered[m]) continue;
          missing.push(u);
          break;
        }
        columns[m][u] = Number(value);
      }
    }
    const filled = await Promise.all(missing.map((u) => this.get(userIds[u])));
    missing.forEach((u, i) => metrics.forEach((metric, m) => (columns[m][u] = filled[i][metric])));
    return columns;
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
              this.keys.leaderboardRevision(metric),
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
    const metrics = this.registry.registeredMetrics();
    try {
      await this.locks.runExclusiveMany(
        userIds.map((id) => this.writerLock(id).key),
        async (manager) => {
          const truth = await this.registry.countBatch(userIds, manager);
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
                    this.keys.leaderboardRevision(metric),
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

  private async fill(userId: number): Promise<UserCounts> {
    const hashKey = this.keys.userCounts(userId);
    return this.locks.run(
      [{ key: `user-counts:${userId}`, mode: 'exclusive' }],
      async (manager) => {
        // Another instance may have filled it while we waited for the lock.
        const filled = this.registry.parseHash(
          await this.redis.run('counts.get', (redis) => redis.hGetAll(hashKey)).catch(() => ({})),
        );
        if (filled) return filled;
        const counts = await this.registry.countUser(userId, manager);
        const fields = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, String(v)]));
        await this.redis
          .run('counts.fill', (redis) => redis.multi().del(hashKey).hSet(hashKey, fields).exec())
          .catch(() => undefined);
        return counts;
      },
    );
  }

  private compute(userId: number): Promise<UserCounts> {
    return this.locks.run([], (manager) => this.registry.countUser(userId, manager));
  }
}
