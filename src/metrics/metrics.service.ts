import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueryOrigin } from '../database/query-origin.js';

export type CacheOutcome =
  | 'hit'
  | 'miss'
  | 'negative_hit'
  | 'bypass'
  | 'unconfirmed_bypass'
  | 'local_hit'
  | 'local_negative_hit';

/**
 * The app's Prometheus registry. One registry per app instance (not prom-client's global one), so
 * several apps in one process (the e2e tests) never collide on metric names.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly cacheRequests = new Counter({
    name: 'cache_requests_total',
    help: 'Cache-aside lookups by cache name and outcome (local_hit, local_negative_hit: the in-process tier; hit, miss, negative_hit: Redis; bypass; unconfirmed_bypass: a key whose invalidation may not survive a failover, read from Postgres)',
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
    help: 'SQL statements sent to Postgres, by origin (request, or background work)',
    labelNames: ['origin'] as const,
    registers: [this.registry],
  });

  readonly reconciliationRuns = new Counter({
    name: 'reconciliation_runs_total',
    help: 'Reconciliation runs by outcome (completed, failed, skipped: another instance held the lock)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly reconciliationCorrections = new Counter({
    name: 'reconciliation_corrections_total',
    help: 'Leaderboard entries reconciliation corrected, by metric and kind (added, changed, removed)',
    labelNames: ['metric', 'kind'] as const,
    registers: [this.registry],
  });

  readonly reconciliationLargestDifference = new Gauge({
    name: 'reconciliation_largest_difference',
    help: 'Largest |Redis - Postgres| score difference found by the last run, by metric',
    labelNames: ['metric'] as const,
    registers: [this.registry],
  });

  readonly reconciliationHashRepairs = new Counter({
    name: 'reconciliation_hash_repairs_total',
    help: 'Per-user count hashes reconciliation created (missing) or corrected (wrong values)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly reconciliationTimelines = new Counter({
    name: 'reconciliation_timelines_total',
    help: 'Feed timelines reconciliation compared with Postgres (checked) and dropped as wrong (drifted)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly reconciliationUsersScanned = new Gauge({
    name: 'reconciliation_users_scanned',
    help: 'Users scanned by the last completed run',
    registers: [this.registry],
  });

  readonly reconciliationDuration = new Gauge({
    name: 'reconciliation_duration_seconds',
    help: 'Duration of the last completed run',
    registers: [this.registry],
  });

  readonly reconciliationLastSuccess = new Gauge({
    name: 'reconciliation_last_success_timestamp_seconds',
    help: 'When the last run completed (Unix time)',
    registers: [this.registry],
  });

  readonly outboxRelayed = new Counter({
    name: 'outbox_relayed_total',
    help: 'Outbox rows applied by a relay because their writer could not confirm them',
    registers: [this.registry],
  });

  readonly redisDataLoss = new Counter({
    name: 'redis_data_loss_total',
    help: 'Redis data loss detected (reason: flushed = epoch marker missing, server_changed = new run id)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly feedReads = new Counter({
    name: 'feed_reads_total',
    help: 'Feed pages by source (timeline = Redis timelines, postgres = the SQL fallback)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly feedLagged = new Counter({
    name: 'feed_timeline_lag_total',
    help: 'Feed reads whose complete timeline disagreed with the exact counts (a timeline job not run yet), served by Postgres',
    registers: [this.registry],
  });

  readonly queueJobDuration = new Histogram({
    name: 'queue_job_duration_seconds',
    help: 'Time a worker of this instance spent on one job attempt, by queue, job name and outcome',
    labelNames: ['queue', 'job', 'outcome'] as const,
    buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120],
    registers: [this.registry],
  });

  readonly queueJobFailures = new Counter({
    name: 'queue_job_failures_total',
    help: 'Job attempts that threw on a worker of this instance (retried until attempts run out)',
    labelNames: ['queue', 'job'] as const,
    registers: [this.registry],
  });

  readonly queueEnqueueFailures = new Counter({
    name: 'queue_enqueue_failures_total',
    help: 'Jobs the app could not enqueue (Redis away or slow); the work is repaired another way',
    labelNames: ['queue', 'job'] as const,
    registers: [this.registry],
  });

  /** Plain mirror of db_queries_total{origin="request"}, cheap to read synchronously (tests). */
  private requestQueryCount = 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  countQuery(origin: QueryOrigin): void {
    if (origin === 'request') this.requestQueryCount += 1;
    this.dbQueries.inc({ origin });
  }

  /** SQL statements sent on behalf of requests (and CLIs), background work left out. */
  get queriesIssued(): number {
    return this.requestQueryCount;
  }

  countCache(cache: string, outcome: CacheOutcome, count = 1): void {
    if (count > 0) this.cacheRequests.inc({ cache, outcome }, count);
  }

  /** A complete timeline disagreed with the exact counts (a job still to run): Postgres served. */
  countFeedLag(): void {
    this.feedLagged.inc();
  }

  countFeedRead(source: 'timeline' | 'postgres'): void {
    this.feedReads.inc({ source });
  }

  countRedisError(operation: string): void {
    this.redisErrors.inc({ operation });
  }
}
