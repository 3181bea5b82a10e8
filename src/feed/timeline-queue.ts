import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { FollowsService } from '../follows/follows.service.js';
import { OutboxService } from '../outbox/outbox.service.js';
import type { OutboxJob } from '../outbox/write-effects.js';
import { JobEnqueuer } from '../queue/job-enqueuer.js';
import { QueueProcessor, workerOptions } from '../queue/queue-processor.js';
import { TimelineFanout } from './timeline-fanout.service.js';
import {
  TIMELINE_JOB_KIND,
  TIMELINE_JOB_NAMES,
  timelineJob,
  type TimelineJobData,
  type TimelineJobName,
} from './timeline-jobs.js';

/** The BullMQ queue of timeline jobs. */
export const TIMELINE_QUEUE = 'timelines';

/**
 * How long a follow's mark keeps the follower's feed on Postgres at most (its job normally lifts
 * it within milliseconds; the bound covers a job that waits in a backlog or was lost).
 */
const PENDING_TTL_MS = 60_000;

type TimelineJob = Job<TimelineJobData[TimelineJobName], void, TimelineJobName>;

/**
 * Producer side of the timeline jobs. Writes record them in their outbox row (article
 * create/delete, follow/unfollow); after the commit the outbox hands them here, and the relay
 * hands them again when that failed (Redis down, crash). The BullMQ job id comes from the outbox
 * row, so a re-dispatch of a job still kept is dropped by the queue; a job run again is harmless
 * (idempotent). The add is bounded (JobEnqueuer): a write never waits on the queue for long.
 */
@Injectable()
export class TimelineQueue implements OnModuleInit {
  constructor(
    @InjectQueue(TIMELINE_QUEUE) private readonly queue: Queue,
    private readonly enqueuer: JobEnqueuer,
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

  /** True when the queue accepted every job. Never throws. */
  async enqueue(jobs: OutboxJob[]): Promise<boolean> {
    const accepted = await Promise.all(
      jobs.map(async (job) => {
        const jobId = `timeline-${job.id ?? 'x'}`;
        try {
          if (!(await this.markFollower(job, jobId))) return true; // nothing to do
        } catch {
          // Counted and logged by the gateway; the relay dispatches the job again (and marks).
          return false;
        }
        return (
          (await this.enqueuer.tryAdd(this.queue, job.name, job.data, { jobId })) !== undefined
        );
      }),
    );
    return accepted.every(Boolean);
  }

  /**
   * A follow or unfollow changes the follower's whole feed: until its job has run, their feed is
   * served from Postgres (they read their own write even on a trimmed timeline). Marked before
   * the job exists, so the job always finds its mark. False: the follower's timeline is not
   * loaded, so the job is not needed at all (the next read builds it from Postgres, after this
   * commit). Most followers are in that case (timelines exist for recent readers only), and a
   * job costs a BullMQ add, a worker's fetch and completion, and five SQL queries.
   */
  private async markFollower(job: OutboxJob, jobId: string): Promise<boolean> {
    if (job.name !== 'followed' && job.name !== 'unfollowed') return true;
    const { followerId } = job.data as unknown as TimelineJobData['followed'];
    return this.fanout.markPendingIfLoaded(followerId, jobId, PENDING_TTL_MS);
  }
}

/** Worker side: runs each timeline job; a follow's job then lifts its follower's mark. */
@Processor(TIMELINE_QUEUE, workerOptions({ concurrency: 4 }))
export class TimelineProcessor extends QueueProcessor<TimelineJobData[TimelineJobName], void> {
  protected readonly jobNames = TIMELINE_JOB_NAMES;

  constructor(private readonly fanout: TimelineFanout) {
    super();
  }

  async handle(job: TimelineJob): Promise<void> {
    await this.fanout.run(job.name, job.data);
    if (job.name === 'followed' || job.name === 'unfollowed') {
      const { followerId } = job.data as TimelineJobData['followed'];
      await this.fanout.clearPending(followerId, job.id ?? '');
    }
  }
}
