import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UserMetric } from '../redis/keys.js';

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

/**
 * How each metric is counted from Postgres. The feature module that owns a metric registers its
 * loaders (through UserCountersService.register) when it starts; a metric whose module is not
 * installed has no loader and counts 0 everywhere.
 */
@Injectable()
export class MetricRegistry {
  private readonly loaders = new Map<UserMetric, MetricLoader>();
  private readonly batchLoaders = new Map<UserMetric, MetricBatchLoader>();

  /**
   * Declares how to count a metric from Postgres: per user (hash fills) and, optionally, for a
   * batch of users in one query (reconciliation; without it, a batch calls `loader` once per
   * user).
   */
  register(metric: UserMetric, loader: MetricLoader, batchLoader?: MetricBatchLoader): void {
    this.loaders.set(metric, loader);
    if (batchLoader) this.batchLoaders.set(metric, batchLoader);
    else this.batchLoaders.delete(metric);
  }

  /** Whether some module counts this metric (otherwise it is always 0). */
  isRegistered(metric: UserMetric): boolean {
    return this.loaders.has(metric);
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

  /** The exact counts of one user, every metric (unregistered ones 0). */
  async countUser(userId: number, manager: EntityManager): Promise<UserCounts> {
    const counts = zeroCounts();
    for (const [metric, loader] of this.loaders) counts[metric] = await loader(userId, manager);
    return counts;
  }

  /** A count hash as counts; null unless it holds every registered metric (then it is loaded). */
  parseHash(hash: Record<string, string>): UserCounts | null {
    for (const metric of this.loaders.keys()) if (!(metric in hash)) return null;
    const counts = zeroCounts();
    for (const metric of USER_METRICS) if (metric in hash) counts[metric] = Number(hash[metric]);
    return counts;
  }
}

const zeroCounts = (): UserCounts =>
  Object.fromEntries(USER_METRICS.map((metric) => [metric, 0])) as UserCounts;
