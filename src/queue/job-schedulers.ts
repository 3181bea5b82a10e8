import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { JobSchedulerTemplateOptions, Queue, RepeatOptions } from 'bullmq';
import { Env } from '../config/env.schema.js';
import { FailoverPasses } from '../redis/failover-passes.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { withTimeout } from '../redis/with-timeout.js';

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
 * How long schedulers are tried again after Redis came back or failed over: the queue's own
 * connections reconnect on their own backoff (up to 5 s between tries), after the app's client.
 */
const REAPPLY_FOR_MS = 60_000;
/** The second pass after a failover (see FailoverPasses.startTwice). */
export const REAPPLY_AGAIN_MS = 5000;

/**
 * Repeatable jobs (BullMQ job schedulers). A scheduler lives in Redis, keeps exactly one next job
 * queued, and whichever worker takes that job runs it: one runner across instances by the queue's
 * own semantics. Every worker process upserts the same schedulers at start-up (idempotent). They
 * are upserted again, retried until applied, when Redis comes back (it may have come back empty)
 * and after a failover: the promoted replica may hold a scheduler's job as active (its completion
 * never replicated) without the next one, which the stalled-job check would repair only after the
 * job's lock expired (30 s); an upsert adds the next job at once. The data-loss monitor reapplies
 * them when it finds Redis emptied; `ensureAll()` applies them once (tests that empty Redis).
 */
@Injectable()
export class JobSchedulers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobSchedulers.name);
  private readonly jobs = new Map<string, ScheduledJob>();
  private readonly passes = new FailoverPasses<ScheduledJob>();
  private started = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly gateway: RedisGateway,
    private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The processes that run workers own the schedules: an API-only instance or a CLI (whose
    // settings may differ, e.g. RECONCILE_ENABLED=false) neither creates nor removes them.
    if (!this.env.QUEUE_WORKERS) return;
    this.started = true;
    this.connection.redis.on('ready', () => this.reapply());
    this.gateway.onFailover(() => this.reapply(REAPPLY_AGAIN_MS));
    // Applied before the app serves, unless Redis is away: then the next `ready` applies them.
    await withTimeout(this.ensureAll(), this.env.REDIS_CONNECT_TIMEOUT_MS).catch(() => undefined);
  }

  /** Declares a scheduler (call from a feature's onModuleInit); applied at bootstrap. */
  register(job: ScheduledJob): void {
    this.jobs.set(`${job.queue.name}/${job.id}`, job);
    if (this.started) void this.ensure(job);
  }

  /** Upserts every declared scheduler once; a failure is logged. */
  async ensureAll(): Promise<void> {
    if (!this.started) return;
    await Promise.all([...this.jobs.values()].map((job) => this.ensure(job)));
  }

  /**
   * Upserts every declared scheduler, trying a failed one again until it is applied or
   * REAPPLY_FOR_MS passed; with `againMs`, a second pass that much later. Does not wait.
   */
  reapply(againMs?: number): void {
    if (!this.started) return;
    const pass = () => {
      const deadline = Date.now() + REAPPLY_FOR_MS;
      return {
        items: [...this.jobs.values()],
        send: (job: ScheduledJob) => this.ensure(job, { quiet: true }),
        keepTrying: (job: ScheduledJob) => {
          if (Date.now() < deadline) return true;
          this.logger.warn(`job scheduler ${job.queue.name}/${job.id} not applied: gave up`);
          return false;
        },
      };
    };
    if (againMs === undefined) this.passes.start(pass());
    else this.passes.startTwice(pass, againMs);
  }

  /** Resolves once no reapply pass is running (tests). */
  reapplied(): Promise<void> {
    return this.passes.settled();
  }

  onApplicationShutdown(): void {
    this.passes.stop();
  }

  /** True once applied; a failure is logged unless `quiet` (a pass that retries logs its end). */
  private async ensure(job: ScheduledJob, { quiet = false } = {}): Promise<boolean> {
    try {
      if (job.repeat) {
        await job.queue.upsertJobScheduler(job.id, job.repeat, {
          name: job.name,
          opts: job.opts,
        });
      } else {
        await job.queue.removeJobScheduler(job.id);
      }
      return true;
    } catch (error) {
      if (quiet) return false;
      this.logger.warn(
        `job scheduler ${job.queue.name}/${job.id} not applied: ${(error as Error).message}`,
      );
      return false;
    }
  }
}
