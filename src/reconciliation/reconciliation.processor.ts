import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { QueueProcessor, workerOptions } from '../queue/queue-processor.js';
import { RECONCILE_JOB, STATS_QUEUE, type ReconcileJobData } from './reconciliation-queue.js';
import { ReconciliationScheduler } from './reconciliation.scheduler.js';
import { ReconciliationService } from './reconciliation.service.js';

export interface ReconcileJobResult {
  /** False when another run (the CLI, a test) held the lock: that run did the work. */
  ran: boolean;
  usersScanned?: number;
}

/**
 * One reconciliation run per job (ReconciliationService does the work under its Redis + Postgres
 * lock, which stays the safety net should two jobs ever overlap). A failed run throws: BullMQ
 * retries it with backoff and keeps it in the failed set once attempts run out.
 */
@Processor(STATS_QUEUE, workerOptions())
export class ReconciliationProcessor extends QueueProcessor<ReconcileJobData, ReconcileJobResult> {
  protected readonly jobNames = [RECONCILE_JOB];

  constructor(
    private readonly reconciliation: ReconciliationService,
    private readonly scheduler: ReconciliationScheduler,
  ) {
    super();
  }

  async handle(job: Job<ReconcileJobData, ReconcileJobResult>): Promise<ReconcileJobResult> {
    const token = job.data.requestToken;
    try {
      const report = await this.reconciliation.run();
      return report ? { ran: true, usersScanned: report.usersScanned } : { ran: false };
    } finally {
      if (token) await this.scheduler.releaseRequest(token);
    }
  }
}
