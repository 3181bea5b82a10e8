import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * Base of the app's processors: `handle(job)` does the work; this measures each attempt
 * (queue_job_duration_seconds) and counts the ones that throw (queue_job_failures_total).
 * A throw makes BullMQ retry with the queue's backoff until attempts run out.
 */
export abstract class QueueProcessor<Data = unknown, Result = unknown> extends WorkerHost {
  @Inject(MetricsService) private readonly metrics!: MetricsService;
  private readonly logger = new Logger(this.constructor.name);

  abstract handle(job: Job<Data, Result>): Promise<Result>;

  async process(job: Job<Data, Result>): Promise<Result> {
    const stop = this.metrics.queueJobDuration.startTimer({ queue: job.queueName, job: job.name });
    try {
      const result = await this.handle(job);
      stop({ outcome: 'completed' });
      return result;
    } catch (error) {
      stop({ outcome: 'failed' });
      this.metrics.queueJobFailures.inc({ queue: job.queueName, job: job.name });
      throw error;
    }
  }

  /**
   * A Worker's connection errors and lost jobs (their keys deleted under it) arrive as `error`
   * events: without a listener Node would throw them and end the process.
   */
  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.logger.warn(`worker ${this.worker.name}: ${error.message}`);
  }
}
