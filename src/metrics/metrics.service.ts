import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export type CacheOutcome = 'hit' | 'miss' | 'negative_hit' | 'bypass';

/**
 * The app's Prometheus registry. One registry per app instance (not prom-client's global one), so
 * several apps in one process (the e2e tests) never collide on metric names.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly cacheRequests = new Counter({
    name: 'cache_requests_total',
    help: 'Cache-aside lookups by cache name and outcome (hit, miss, negative_hit, bypass)',
    labelNames: ['cache', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly redisErrors = new Counter({
    name: 'redis_errors_total',
    help: 'Redis commands that failed or timed out, by operation; the caller fell back to Postgres',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly dbQueries = new Counter({
    name: 'db_queries_total',
    help: 'SQL statements sent to Postgres',
    registers: [this.registry],
  });

  /** Plain mirror of db_queries_total, cheap to read synchronously (tests, diagnostics). */
  private queryCount = 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  countQuery(): void {
    this.queryCount += 1;
    this.dbQueries.inc();
  }

  get queriesIssued(): number {
    return this.queryCount;
  }

  countCache(cache: string, outcome: CacheOutcome): void {
    this.cacheRequests.inc({ cache, outcome });
  }

  countRedisError(operation: string): void {
    this.redisErrors.inc({ operation });
  }
}
