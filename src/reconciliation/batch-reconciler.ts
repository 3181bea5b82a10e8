import { Injectable } from '@nestjs/common';
import { MetricRegistry } from '../counters/metric-registry.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import type { UserMetric } from '../redis/keys.js';
import { LeaderboardStagingStore } from './leaderboard-staging.store.js';
import {
  diffBatch,
  hashState,
  noCorrections,
  type MetricCorrections,
} from './reconciliation-report.js';

/** What a run has corrected so far, summed over its batches. */
export class RunCorrections {
  readonly metrics: Map<UserMetric, MetricCorrections>;
  readonly hashes = { created: 0, corrected: 0 };

  constructor(metrics: UserMetric[]) {
    this.metrics = new Map(metrics.map((metric) => [metric, noCorrections()]));
  }
}

/**
 * One batch of a reconciliation run: the users' true counts from Postgres, written into the staging
 * boards and into the hashes that are missing or wrong, and the drift of the live structures.
 *
 * The batch is counted under the users' EXCLUSIVE count locks: no writer is between its commit and
 * its delta, so the counts include exactly the deltas already applied. The absolute ZADDs overwrite
 * any partial deltas that reached the staging board before; later deltas land on top of them.
 */
@Injectable()
export class BatchReconciler {
  constructor(
    private readonly advisoryLocks: AdvisoryLocks,
    private readonly counters: UserCountersService,
    private readonly registry: MetricRegistry,
    private readonly staging: LeaderboardStagingStore,
  ) {}

  async reconcile(ids: number[], metrics: UserMetric[], into: RunCorrections): Promise<void> {
    await this.advisoryLocks.runExclusiveMany(
      ids.map((id) => this.counters.writerLock(id).key),
      async (manager) => {
        // Both under the locks, so in either order they see the same state: together, one wait.
        const [truth, live] = await Promise.all([
          this.registry.countBatch(ids, manager),
          this.staging.readBatch(metrics, ids),
        ]);
        // Hashes already right are left alone: a run rewrites only what it corrects.
        const staleHashes = ids.filter((id, index) => {
          const expected = Object.fromEntries(
            metrics.map((metric) => [metric, truth.get(metric)!.get(id) ?? 0]),
          );
          const state = hashState(live.hashes[index], expected);
          if (state === 'missing') into.hashes.created += 1;
          else if (state === 'wrong') into.hashes.corrected += 1;
          return state !== 'ok';
        });
        await this.staging.writeBatch(ids, truth, staleHashes);
        for (const metric of metrics) {
          diffBatch(into.metrics.get(metric)!, ids, truth.get(metric)!, live.scores.get(metric)!);
        }
      },
    );
  }
}
