import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { JobReplay } from './job-replay.js';
import type { OutboxJob } from './write-effects.js';

/**
 * Enqueues jobs of one kind; true when the queue accepted all of them. Must not throw.
 * `again`: the jobs may have been enqueued (and run) before: a failover's replay or a relay.
 */
export type JobDispatcher = (jobs: OutboxJob[], again: boolean) => Promise<boolean>;

/**
 * The queue jobs of outbox rows: the dispatcher of each job kind (registered by the module that
 * owns the kind), and their replay after a Redis failover (JobReplay: every job this instance
 * handed over within REDIS_FAILOVER_REPLAY_SECONDS is handed over again, since the promoted
 * replica may have lost it after its row was confirmed and deleted).
 */
@Injectable()
export class OutboxJobs implements OnApplicationShutdown {
  private readonly logger = new Logger(OutboxJobs.name);
  private readonly dispatchers = new Map<string, JobDispatcher>();
  private readonly replay: JobReplay;

  constructor(env: Env, redis: RedisGateway) {
    this.replay = new JobReplay(env.REDIS_FAILOVER_REPLAY_SECONDS * 1000, (jobs) =>
      this.handOver(jobs, true),
    );
    redis.onFailover(() => {
      const jobs = this.replay.recent().length;
      if (jobs > 0) this.logger.warn(`Redis failed over: enqueueing ${jobs} recent jobs again`);
      this.replay.failedOver();
    });
  }

  /** The module that owns a job kind registers how to enqueue it (at module init). */
  register(kind: string, dispatch: JobDispatcher): void {
    this.dispatchers.set(kind, dispatch);
  }

  /**
   * Hands jobs to their kinds' dispatchers; false unless every one was accepted. Never throws.
   * `again`: see JobDispatcher (the writer's own dispatch is the first; a relay's may not be).
   */
  async dispatch(jobs: OutboxJob[], again = false): Promise<boolean> {
    const accepted = await this.handOver(jobs, again);
    // Refused jobs stay in their outbox row (the relay enqueues them again): only accepted ones
    // can be lost by a failover after their row is gone.
    if (accepted) this.replay.record(jobs);
    return accepted;
  }

  /** Resolves once no replay is running (tests). */
  replayed(): Promise<void> {
    return this.replay.replayed();
  }

  onApplicationShutdown(): void {
    this.replay.stop();
  }

  private async handOver(jobs: OutboxJob[], again: boolean): Promise<boolean> {
    if (jobs.length === 0) return true;
    const byKind = new Map<string, OutboxJob[]>();
    for (const job of jobs) byKind.set(job.kind, [...(byKind.get(job.kind) ?? []), job]);
    const results = await Promise.all(
      [...byKind].map(([kind, ofKind]) => {
        const dispatch = this.dispatchers.get(kind);
        if (dispatch) return dispatch(ofKind, again).catch(() => false);
        this.logger.warn(`no dispatcher for outbox jobs of kind ${kind}: kept for a relay`);
        return Promise.resolve(false);
      }),
    );
    return results.every(Boolean);
  }
}
