import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { TimelineAudit } from '../feed/timeline-audit.service.js';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';
import { MetricRegistry } from '../counters/metric-registry.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { RedisLocks, type HeldLock } from '../redis/redis-lock.js';
import { LeaderboardStagingStore } from './leaderboard-staging.store.js';
import { BatchReconciler, RunCorrections } from './batch-reconciler.js';
import { recordCompletedRun } from './reconciliation-metrics.js';
import { formatReport, type ReconciliationReport } from './reconciliation-report.js';
import { Reservoir } from './reservoir.js';
import { ReconciliationRepository } from './reconciliation.repository.js';

export const RECONCILIATION_LOCK = 'reconciliation';

export interface ReconciliationProgress {
  usersScanned: number;
  /** Last user id done and the highest id at start: a progress estimate, not a count. */
  lastUserId: number;
  maxUserId: number;
}

export interface ReconciliationStatus {
  running: boolean;
  lastRun: ReconciliationReport | null;
}

/**
 * Recomputes every registered aggregate count from Postgres and writes it into the leaderboards
 * and the per-user count hashes (consistency rule 6), reporting what it corrected.
 *
 * Exact under concurrent writes (see docs/ARCHITECTURE.md, "Reconciliation"):
 * - Each metric's new board is built in `count:{user:<m>}:next`. It exists from the start, so
 *   every delta applied during the run lands on both boards (leaderboardIncr script).
 * - A batch of users is counted under their EXCLUSIVE count locks (BatchReconciler): no writer is
 *   between its commit and its delta, so the counts include exactly the deltas already applied.
 *   The batch's absolute ZADDs overwrite any partial deltas that reached `:next` before; later
 *   deltas land on top of them. The hashes get absolute values under the same locks.
 * - The swap (UNLINK live, RENAME next live) is one Lua script on one hash slot.
 * One runner at a time across instances: a Redis lock with a TTL, renewed while running.
 */
@Injectable()
export class ReconciliationService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconciliationService.name);
  /** This instance's run in progress, awaited on shutdown (before Redis and Postgres close). */
  private current: Promise<unknown> | undefined;

  constructor(
    private readonly env: Env,
    private readonly registry: MetricRegistry,
    private readonly users: ReconciliationRepository,
    private readonly batches: BatchReconciler,
    private readonly staging: LeaderboardStagingStore,
    private readonly locks: RedisLocks,
    private readonly metrics: MetricsService,
    private readonly keys: RedisKeys,
    private readonly redis: RedisGateway,
    private readonly timelineAudit: TimelineAudit,
  ) {}

  /**
   * Runs once now and resolves with the report, or with null when another run (on any instance)
   * holds the lock. Throws when the run fails.
   */
  async run(
    onProgress?: (progress: ReconciliationProgress) => void,
  ): Promise<ReconciliationReport | null> {
    const held = await this.acquire();
    if (!held) return null;
    return this.track(this.execute(held.lock, held.metrics, onProgress));
  }

  /** Starts a run in the background; false when one is already running somewhere. */
  async start(): Promise<boolean> {
    const held = await this.acquire();
    if (!held) return false;
    this.track(this.execute(held.lock, held.metrics)).catch(() => {
      // Already logged and counted by execute().
    });
    return true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  private track<T>(run: Promise<T>): Promise<T> {
    this.current = run;
    void run
      .finally(() => {
        if (this.current === run) this.current = undefined;
      })
      .catch(() => undefined);
    return run;
  }

  async status(): Promise<ReconciliationStatus> {
    try {
      const [held, requested, last] = await Promise.all([
        this.locks.isHeld(RECONCILIATION_LOCK),
        this.redis.run('reconciliation.status', (redis) =>
          redis.exists(this.keys.reconciliationRequested()),
        ),
        this.redis.run('reconciliation.status', (redis) =>
          redis.get(this.keys.reconciliationLast()),
        ),
      ]);
      return {
        running: held || requested === 1,
        lastRun: last ? (JSON.parse(last) as ReconciliationReport) : null,
      };
    } catch {
      throw this.redisUnavailable();
    }
  }

  private async acquire(): Promise<{ lock: HeldLock; metrics: UserMetric[] } | null> {
    const metrics = this.registry.registeredMetrics();
    const ttlMs = this.env.RECONCILE_LOCK_TTL_MS;
    let lock: HeldLock | null;
    try {
      lock = await this.locks.tryAcquire(RECONCILIATION_LOCK, {
        ttlMs,
        // The staging boards outlive the lock a little, so a crashed runner's boards (which
        // writers keep dual-writing into) expire soon after its lock does.
        onRenew: () => this.staging.extend(metrics, this.stagingTtlMs()),
      });
    } catch {
      // Without Redis there is nothing to reconcile into (and no lock to keep runners apart).
      throw this.redisUnavailable();
    }
    if (!lock) {
      this.metrics.reconciliationRuns.inc({ outcome: 'skipped' });
      return null;
    }
    return { lock, metrics };
  }

  private stagingTtlMs(): number {
    return this.env.RECONCILE_LOCK_TTL_MS * 2;
  }

  private async execute(
    lock: HeldLock,
    metrics: UserMetric[],
    onProgress?: (progress: ReconciliationProgress) => void,
  ): Promise<ReconciliationReport> {
    const started = Date.now();
    const token = randomUUID();
    const corrections = new RunCorrections(metrics);
    let usersScanned = 0;
    let swapped = false;
    const timelineSample = this.env.RECONCILE_TIMELINE_SAMPLE;
    // Uniform over the users that have a timeline, found by the scan itself: one pipelined EXISTS
    // per user key (no SCAN, so it works on a Cluster), no extra query.
    const timelineCandidates = new Reservoir<number>(timelineSample);
    try {
      await this.staging.prepare(metrics, token, this.stagingTtlMs());
      const maxUserId = await this.users.maxUserId();
      // Batches are disjoint sets of users, each counted on its own connection under its own
      // locks (taken in the one global order), so batches in flight together never wait on each
      // other; they complete, and report progress, in id order.
      const inFlight: { ids: number[]; done: Promise<void> }[] = [];
      const settleOldest = async () => {
        const { ids, done } = inFlight.shift()!;
        await done;
        usersScanned += ids.length;
        const lastUserId = ids[ids.length - 1];
        onProgress?.({ usersScanned, lastUserId, maxUserId: Math.max(maxUserId, lastUserId) });
      };
      try {
        let nextIds = this.pageAfter(0);
        for (;;) {
          const ids = await nextIds;
          if (ids.length === 0) break;
          // The next page is read while this batch runs.
          nextIds = this.pageAfter(ids[ids.length - 1]);
          this.assertHeld(lock);
          const done = this.reconcileBatch(ids, metrics, corrections, timelineCandidates);
          // Awaited in order by settleOldest (or the finally below): never an unhandled rejection.
          done.catch(() => undefined);
          inFlight.push({ ids, done });
          if (inFlight.length >= this.env.RECONCILE_PARALLEL_BATCHES) await settleOldest();
        }
        while (inFlight.length > 0) await settleOldest();
      } finally {
        // On failure, let the other batches finish (they hold connections and locks) first.
        await Promise.allSettled(inFlight.map((batch) => batch.done));
      }
      await Promise.all(
        metrics.map((metric) =>
          this.staging.sweepRemoved(metric, corrections.metrics.get(metric)!),
        ),
      );
      // Before the swap, so a Redis failure here fails the run as any other step does.
      const timelines = await this.timelineAudit.check([...timelineCandidates.items]);
      this.assertHeld(lock);
      for (const metric of metrics) {
        if (!(await this.staging.swap(metric, token))) {
          throw new Error(`the staging board of ${metric} is not this run's (expired or replaced)`);
        }
      }
      swapped = true;
      const finished = Date.now();
      const report: ReconciliationReport = {
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        durationMs: finished - started,
        usersScanned,
        hashes: corrections.hashes,
        metrics: Object.fromEntries(corrections.metrics),
        timelines,
      };
      await this.redis.background('reconciliation', (redis) =>
        redis.set(this.keys.reconciliationLast(), JSON.stringify(report)),
      );
      recordCompletedRun(this.metrics, report);
      this.logger.log(formatReport(report));
      return report;
    } catch (error) {
      this.metrics.reconciliationRuns.inc({ outcome: 'failed' });
      this.logger.error(`reconciliation failed: ${String(error)}`);
      throw error;
    } finally {
      // A lost lock means another runner may own the staging boards now: leave them to it.
      if (!swapped && !lock.lost) await this.staging.discard(metrics).catch(() => undefined);
      await lock.release().catch(() => undefined);
    }
  }

  /** The next page of user ids, read ahead: a failure surfaces where it is awaited, if ever. */
  private pageAfter(lastUserId: number): Promise<number[]> {
    const page = this.users.userIdsAfter(lastUserId, this.env.RECONCILE_BATCH_SIZE);
    page.catch(() => undefined);
    return page;
  }

  /** One batch, and which of its users have a timeline (sample candidates), looked up meanwhile. */
  private async reconcileBatch(
    ids: number[],
    metrics: UserMetric[],
    corrections: RunCorrections,
    timelineCandidates: Reservoir<number>,
  ): Promise<void> {
    const sample = this.env.RECONCILE_TIMELINE_SAMPLE > 0;
    const [, withTimeline] = await Promise.all([
      this.batches.reconcile(ids, metrics, corrections),
      sample ? this.timelineAudit.withTimeline(ids) : [],
    ]);
    timelineCandidates.offer(withTimeline);
  }

  /** The failure itself was counted and logged by the gateway. */
  private redisUnavailable(): ServiceUnavailableError {
    return new ServiceUnavailableError('reconciliation is unavailable while Redis is down');
  }

  private assertHeld(lock: HeldLock): void {
    if (lock.lost) throw new Error('the reconciliation lock was lost; another run may be active');
  }
}
