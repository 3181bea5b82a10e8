import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';
import { JobSchedulers } from '../queue/job-schedulers.js';
import { defaultJobOptions } from '../queue/queue.module.js';
import { withTimeout } from '../redis/with-timeout.js';
import {
  RECONCILE_JOB,
  RECONCILIATION_SCHEDULER,
  STATS_QUEUE,
  type ReconcileJobData,
} from './reconciliation-queue.js';
import { ReconciliationService } from './reconciliation.service.js';

/**
 * When reconciliation runs: a BullMQ job scheduler on RECONCILE_CRON (one job per tick, taken by
 * one worker across all instances), and jobs queued on an admin's request. Both are the same job
 * (ReconciliationProcessor); `npm run reconcile` runs the same service in its own process.
 */
@Injectable()
export class ReconciliationScheduler implements OnModuleInit {
  constructor(
    private readonly env: Env,
    private readonly schedulers: JobSchedulers,
    private readonly reconciliation: ReconciliationService,
    @InjectQueue(STATS_QUEUE) private readonly queue: Queue<ReconcileJobData>,
  ) {}

  onModuleInit(): void {
    this.schedulers.register({
      queue: this.queue as Queue,
      id: RECONCILIATION_SCHEDULER,
      name: RECONCILE_JOB,
      // The expression was validated with the rest of the environment (validateEnv).
      repeat: this.env.RECONCILE_ENABLED ? { pattern: this.env.RECONCILE_CRON } : undefined,
      opts: defaultJobOptions(this.env),
    });
  }

  /** Queues a run for an admin: false while one runs or is already queued (on any instance). */
  async requestRun(): Promise<boolean> {
    const token = await this.reconciliation.claimRequest();
    if (!token) return false;
    try {
      await withTimeout(
        (this.queue as Queue).add(
          RECONCILE_JOB,
          { requestToken: token },
          { jobId: `reconcile-request-${token}` },
        ),
        this.env.QUEUE_ENQUEUE_TIMEOUT_MS,
      );
      return true;
    } catch {
      await this.reconciliation.releaseRequest(token);
      throw new ServiceUnavailableError('reconciliation cannot be queued while Redis is down');
    }
  }
}
