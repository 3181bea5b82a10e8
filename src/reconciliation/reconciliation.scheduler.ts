import { randomUUID } from 'node:crypto';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';
import { JobSchedulers } from '../queue/job-schedulers.js';
import { defaultJobOptions } from '../queue/queue.module.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { RedisLocks } from '../redis/redis-lock.js';
import { withTimeout } from '../redis/with-timeout.js';
import {
  RECONCILE_JOB,
  RECONCILIATION_SCHEDULER,
  STATS_QUEUE,
  type ReconcileJobData,
} from './reconciliation-queue.js';
import { RECONCILIATION_LOCK } from './reconciliation.service.js';

/**
 * When reconciliation runs: a BullMQ job scheduler on RECONCILE_CRON (one job per tick, taken by
 * one worker across all instances), and jobs queued on an admin's request. Both are the same job
 * (ReconciliationProcessor); `npm run reconcile` runs the same service in its own process.
 * An admin's request is claimed in Redis (`reconciliationRequested`) from when it is queued until
 * its run ends, so a second request meanwhile gets 409 on any instance.
 */
@Injectable()
export class ReconciliationScheduler implements OnModuleInit {
  constructor(
    private readonly env: Env,
    private readonly schedulers: JobSchedulers,
    private readonly locks: RedisLocks,
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
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
    const token = await this.claimRequest();
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
      await this.releaseRequest(token);
      throw new ServiceUnavailableError('reconciliation cannot be queued while Redis is down');
    }
  }

  /** Ends a claim (its run finished, or it could not be queued); only if it is still this one. */
  async releaseRequest(token: string): Promise<void> {
    await this.redis
      .background('reconciliation.request', (redis) =>
        redis.releaseLock(this.keys.reconciliationRequested(), token),
      )
      .catch(() => undefined);
  }

  /**
   * Claims the right to queue a run: a token, or null while a run holds the lock or another
   * requested run is still pending. The claim expires on its own (a run that was never picked up,
   * e.g. with every worker stopped, does not block requests forever).
   */
  private async claimRequest(): Promise<string | null> {
    try {
      if (await this.locks.isHeld(RECONCILIATION_LOCK)) return null;
      const token = randomUUID();
      const claimed = await this.redis.run('reconciliation.request', (redis) =>
        redis.set(this.keys.reconciliationRequested(), token, {
          NX: true,
          PX: this.env.RECONCILE_LOCK_TTL_MS * 4,
        }),
      );
      return claimed === 'OK' ? token : null;
    } catch {
      // Counted and logged by the gateway.
      throw new ServiceUnavailableError('reconciliation is unavailable while Redis is down');
    }
  }
}
