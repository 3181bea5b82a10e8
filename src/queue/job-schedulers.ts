import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { JobSchedulerTemplateOptions, Queue, RepeatOptions } from 'bullmq';
import { RedisConnection } from '../redis/redis-connection.js';

export interface ScheduledJob {
  queue: Queue;
  /** The scheduler's id: one per job kind, shared by every instance (so upserts converge). */
  id: string;
  /** Job name the scheduler produces. */
  name: string;
  /** `{ every: ms }` or `{ pattern: cron }`; undefined removes the scheduler (feature off). */
  repeat: Omit<RepeatOptions, 'key'> | undefined;
  opts?: JobSchedulerTemplateOptions;
}

/**
 * Repeatable jobs (BullMQ job schedulers). A scheduler lives in Redis, keeps exactly one next job
 * queued, and whichever worker takes that job runs it: one runner across instances by the queue's
 * own semantics. Every instance upserts the same schedulers at start-up (idempotent); they are
 * upserted again when Redis comes back (it may have come back empty) and on `ensureAll()` (the
 * data-loss monitor, tests that empty Redis).
 */
@Injectable()
export class JobSchedulers implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobSchedulers.name);
  private readonly jobs = new Map<string, ScheduledJob>();
  private started = false;

  constructor(private readonly connection: RedisConnection) {}

  onApplicationBootstrap(): void {
    this.started = true;
    void this.ensureAll();
    this.connection.redis.on('ready', () => void this.ensureAll());
  }

  /** Declares a scheduler (call from a feature's onModuleInit); applied at bootstrap. */
  register(job: ScheduledJob): void {
    this.jobs.set(`${job.queue.name}/${job.id}`, job);
    if (this.started) void this.ensure(job);
  }

  /** Upserts every declared scheduler; a failure is logged, the next `ready` tries again. */
  async ensureAll(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => this.ensure(job)));
  }

  private async ensure(job: ScheduledJob): Promise<void> {
    try {
      if (job.repeat) {
        await job.queue.upsertJobScheduler(job.id, job.repeat, {
          name: job.name,
          opts: job.opts,
        });
      } else {
        await job.queue.removeJobScheduler(job.id);
      }
    } catch (error) {
      this.logger.warn(
        `job scheduler ${job.queue.name}/${job.id} not applied: ${(error as Error).message}`,
      );
    }
  }
}
