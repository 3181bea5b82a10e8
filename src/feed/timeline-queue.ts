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
    this.outbox.registerJobDispatcher(TIMELINE_JOB_KIND, (jobs, again) =>
      this.enqueue(jobs, again),
    );
    this.follows.registerEdgeJobs((followerId, followeeId, follow) => [
      timelineJob(follow ? 'followed' : 'unfollowed', { followerId, followeeId }),
    ]);
  }

  /**
   * True when the queue accepted every job. Never throws. `again`: the jobs may have run already
   * (a replay, a relay), so a follow job's mark may need lifting (liftMarkIfAlreadyRun); the
   * writer's own first dispatch skips that round trip.
   */
  async enqueue(jobs: OutboxJob[], again = false): Promise<boolean> {
    const accepted = await Promise.all(
      jobs.map(async (job) => {
        const jobId = `timeline-${job.id ?? 'x'}`;
        try {
          if (!(await this.markFollower(job, jobId))) return true; // nothing to do
        } catch {
          // Counted and logged by the gateway; the relay dispatches the job again (and marks).
          return false;
        }
        const added = await this.enqueuer.tryAdd(this.queue, job.name, job.data, { jobId });
        if (added === undefined) return false;
        if (again && isEdgeJob(job)) await this.liftMarkIfAlreadyRun(job, jobId);
        return true;
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
   * job costs a BullMQ add, a worker's fetch and completion, and two SQL queries.
   */
  private async markFollower(job: OutboxJob, jobId: string): Promise<boolean> {
    if (!isEdgeJob(job)) return true;
    return this.fanout.markPendingIfLoaded(followerOf(job), jobId, PENDING_TTL_MS);
  }

  /**
   * A job handed over again (JobReplay after a failover, the relay after a lost confirmation)
   * may already have run: BullMQ keeps its completed copy under the same id and the add is a
   * no-op, so nothing would lift the mark just set, and the follower's feed would stay on
   * Postgres (and out of the reconciliation's timeline audit) until the mark expires. A job that
   * finished before this read is done: lift its mark (lifting twice is harmless: only a mark
   * holding this job's id is removed). A failure only leaves the mark to its TTL.
   */
  private async liftMarkIfAlreadyRun(job: OutboxJob, jobId: string): Promise<void> {
    try {
      const state = await this.queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed') {
        await this.fanout.clearPending(followerOf(job), jobId);
      }
    } catch {
      // The mark expires (PENDING_TTL_MS); the feed is served from Postgres meanwhile.
    }
  }
}

function isEdgeJob(job: OutboxJob): boolean {
  return job.name === 'followed' || job.name === 'unfollowed';
}

/** The follower of a follow or unfollow job. */
function followerOf(job: OutboxJob): number {
  return (job.data as unknown as TimelineJobData['followed']).followerId;
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
