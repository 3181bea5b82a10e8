import { Injectable, Logger } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { withTimeout } from '../redis/with-timeout.js';

/**
 * Enqueues from a request without ever failing or stalling it: the add is bounded by
 * QUEUE_ENQUEUE_TIMEOUT_MS and a failure is logged and counted, not thrown. The caller must have
 * another way to get the work done (a repeatable job, a lazy rebuild, the outbox relay).
 */
@Injectable()
export class JobEnqueuer {
  private readonly logger = new Logger(JobEnqueuer.name);

  constructor(
    private readonly env: Env,
    private readonly metrics: MetricsService,
  ) {}

  /** The job's id, or undefined when it could not be enqueued. */
  async tryAdd<T>(
    queue: Queue<T>,
    name: string,
    data: T,
    options?: JobsOptions,
  ): Promise<string | undefined> {
    try {
      // BullMQ's typings spell the job name as a generic; a plain string is what it takes.
      const job = await withTimeout(
        (queue as Queue).add(name, data, options),
        this.env.QUEUE_ENQUEUE_TIMEOUT_MS,
      );
      return job.id;
    } catch (error) {
      this.metrics.queueEnqueueFailures.inc({ queue: queue.name, job: name });
      this.logger.warn(`could not enqueue ${queue.name}/${name}: ${(error as Error).message}`);
      return undefined;
    }
  }
}
