import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import { FollowsService } from '../../follows/follows.service.js';
import { OutboxService } from '../../outbox/outbox.service.js';
import type { OutboxJob } from '../../outbox/write-effects.js';
import { TimelineFanout } from './timeline-fanout.service.js';
import {
  TIMELINE_JOB_KIND,
  timelineJob,
  type TimelineJobData,
  type TimelineJobName,
} from './timeline-jobs.js';

/**
 * How long a follow's mark keeps the follower's feed on Postgres at most (its job normally lifts
 * it within milliseconds; the bound covers a job lost with a crashed queue).
 */
const PENDING_TTL_MS = 60_000;

/**
 * Timeline jobs: writes record them in their outbox row (article create/delete, follow/unfollow);
 * the outbox hands them here after the commit, and again from the relay when that failed.
 * In-process runner (placeholder until the queue infrastructure lands).
 */
@Injectable()
export class TimelineQueue implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(TimelineQueue.name);
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly outbox: OutboxService,
    private readonly follows: FollowsService,
    private readonly fanout: TimelineFanout,
  ) {}

  onModuleInit(): void {
    this.outbox.registerJobDispatcher(TIMELINE_JOB_KIND, (jobs) => this.enqueue(jobs));
    this.follows.registerEdgeJobs((followerId, followeeId, follow) => [
      timelineJob(follow ? 'followed' : 'unfollowed', { followerId, followeeId }),
    ]);
  }

  async enqueue(jobs: OutboxJob[]): Promise<boolean> {
    try {
      await Promise.all(jobs.map((job) => this.markFollower(job)));
    } catch {
      // Counted and logged by the gateway; the relay dispatches the jobs again (and marks).
      return false;
    }
    for (const job of jobs) {
      const work = this.process(job).catch((error: unknown) =>
        this.logger.warn(`timeline job failed: ${String(error)}`),
      );
      this.running.add(work);
      void work.finally(() => this.running.delete(work));
    }
    return true;
  }

  /**
   * A follow or unfollow changes the follower's whole feed: until its job has run, their feed is
   * served from Postgres (they read their own write), marked before the job can start.
   */
  private async markFollower(job: OutboxJob): Promise<void> {
    if (job.name !== 'followed' && job.name !== 'unfollowed') return;
    const { followerId } = job.data as unknown as TimelineJobData['followed'];
    await this.fanout.markPending(followerId, job.id ?? '', PENDING_TTL_MS);
  }

  /** Runs one job; a follow's job then lifts its follower's mark. */
  async process(job: OutboxJob): Promise<void> {
    const name = job.name as TimelineJobName;
    await this.fanout.run(name, job.data as unknown as TimelineJobData[TimelineJobName]);
    if (name === 'followed' || name === 'unfollowed') {
      const { followerId } = job.data as unknown as TimelineJobData['followed'];
      await this.fanout.clearPending(followerId, job.id ?? '');
    }
  }

  /** Resolves once every job started so far has finished. */
  async drained(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drained();
  }
}
