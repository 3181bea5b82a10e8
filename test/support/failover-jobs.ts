import { expect } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import { TimelineStore } from '../../src/feed/timeline.store.js';
import { JobSchedulers } from '../../src/queue/job-schedulers.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { ReconciliationService } from '../../src/reconciliation/reconciliation.service.js';
import { ViewsFlushProcessor } from '../../src/views/views-flush.processor.js';
import { VIEWS_FLUSH_JOB, VIEWS_QUEUE } from '../../src/views/views-queue.js';
import { authHeader, registerUser, userId, type RegisteredUser } from './factories.js';
import { articleId, feedOf, follow, timelineIds } from './feed.js';
import { pollUntil } from './poll.js';
import type { TestApp } from './test-app.js';
import { timelineJobsLeft, timelineQueue } from './timeline-jobs.js';
import { workerState } from './worker-state.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Followers of the drill's author: enough that their timeline keys spread over a Cluster's shards. */
const FOLLOWERS = 6;
/** How often the author publishes while the failover runs. */
const CREATE_EVERY_MS = 150;
/** Bound for the views flush, and for timelines to be rebuilt after a repair. */
export const JOBS_BOUND_MS = 20_000;
/**
 * Bound for the fan-out jobs to catch up once the app writes to the new master: a job the
 * promoted replica holds as active runs again once its lock expired (BullMQ's lockDuration, 30 s)
 * and two stalled-job checks saw it (5 s apart: src/queue/queue-processor.ts).
 */
const STALLED_BOUND_MS = 60_000;
/** The views flush interval the drills' app runs with (a repeatable job that must survive). */
export const DRILL_VIEWS_FLUSH_MS = '500';

/**
 * A read through the test app's own Queue connection. That connection fails fast while it
 * reconnects, and after a failover it does so on its own backoff (up to 5 s between tries),
 * possibly after the app's node-redis client already follows the new master: try again meanwhile.
 */
async function queueRead<T>(read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

interface Created {
  slug: string;
  id: number;
  /** When its creation answered (epoch ms). */
  at: number;
}

export interface JobsReport {
  /** Articles the author created from just before the trigger until the traffic stopped. */
  created: number;
  createdDuringFailover: number;
  /**
   * Ms from the start of these checks (traffic stopped, invalidations confirmed) until every
   * follower timeline held every article by their jobs (-1: some never did, see lostEntries).
   */
  fannedOutMs: number;
  /** Timeline jobs BullMQ found stalled (active on the promoted replica) and ran again. */
  rerunAfterStall: number;
  /**
   * (follower, article) pairs missing from a timeline once no job was left to add them: a job
   * (or its ZADDs) the old master acknowledged and never replicated. Repaired by reconciliation.
   */
  lostEntries: string[];
  /** Timelines reconciliation dropped as drifted (then rebuilt from Postgres on their next read). */
  droppedByReconciliation: number;
  /** Ms from 5 reads on the new master until their views were in Postgres (a flush every 500 ms). */
  viewsFlushMs: number;
  /** Ms the queue took to answer before the drill (still reconnecting after an earlier one). */
  queueReadyMs: number;
}

/**
 * The queue side of a failover drill: an author with followers (timelines built) publishes every
 * CREATE_EVERY_MS just before and during the failover, and the views flush runs as a repeatable
 * job. Afterwards every article must reach every follower: on their feed page at once (a timeline
 * that misses a job is answered by Postgres), and in their timeline zset within JOBS_BOUND_MS, by
 * its fan-out job or, for a job the failover lost (asynchronous replication), by what the design
 * repairs it with: the next reconciliation run drops the drifted timeline, its next read rebuilds
 * it from Postgres. The views flush must run again on the new master and move views counted there.
 */
export class FailoverJobs {
  private author!: RegisteredUser;
  private followers: { user: RegisteredUser; id: number }[] = [];
  private viewed!: string;
  private readonly created: Created[] = [];
  readonly failures: string[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private trigger = Infinity;
  private failoverEnd = Infinity;
  /** How long the queue took to answer at the start (a previous drill's reconnect backoff). */
  private queueReadyMs = 0;

  constructor(private readonly app: TestApp) {}

  async prepare(): Promise<void> {
    // The views-flush scheduler may have been removed by an app booted without a flush interval
    // (every worker process upserts the schedules it was given): declare ours again. After an
    // earlier drill the queue's own connection may still be waiting out its reconnect backoff
    // (up to 5 s): ensureAll logs and skips then, so try until the scheduler is there.
    const asked = Date.now();
    const schedulers = await pollUntil(
      async () => {
        await this.app.app.get(JobSchedulers).ensureAll();
        return this.queue(VIEWS_QUEUE)
          .getJobSchedulers()
          .then((all) => all.map((s) => s.key))
          .catch((error: unknown) => [String(error)]);
      },
      (keys) => keys.includes('views-flush'),
      JOBS_BOUND_MS,
    );
    expect(schedulers).toContain('views-flush');
    this.queueReadyMs = Date.now() - asked;
    this.author = await registerUser(this.app);
    for (let i = 0; i < FOLLOWERS; i++) {
      const user = await registerUser(this.app);
      await follow(this.app, user, this.author);
      this.followers.push({ user, id: await userId(this.app, user.username) });
    }
    this.viewed = await this.create('viewed after the failover');
    // Each follower's first feed read builds their timeline once the follow's job lifted the
    // pending mark, so the drill's articles reach it through the jobs, not a rebuild. (Not "the
    // queue is empty": a job an earlier drill left active waits for BullMQ's stalled check.)
    for (const { user, id } of this.followers) {
      const built = await pollUntil(
        async () => {
          await feedOf(this.app, user);
          return timelineIds(this.app, id);
        },
        (ids) => ids !== null,
        JOBS_BOUND_MS,
      );
      expect(built).not.toBeNull();
    }
  }

  start(): void {
    this.stopped = false;
    this.loop = this.publishLoop();
  }

  markTrigger(): void {
    this.trigger = Date.now();
  }

  markFailoverEnd(): void {
    this.failoverEnd = Date.now();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /**
   * After the app follows the new master and the traffic stopped: the checks in the class
   * comment. Returns what happened, for FAULT_TIMINGS and the assertions' messages.
   */
  async verify(): Promise<JobsReport> {
    const from = Date.now();
    expect(this.failures).toEqual([]);
    const wanted = this.created.map((c) => c.id);
    // Until every entry is there, or nothing is left that could add one: no timeline job waiting,
    // delayed or active, no outbox row still to enqueue one. A job the promoted replica holds as
    // active (its completion never replicated) counts as left: BullMQ's stalled-job check runs it
    // again once its lock expires.
    const settled = await pollUntil(
      async () => {
        // `left` first: a job that finishes between the two reads must not look lost.
        const left = await this.jobsLeft();
        return { left, missing: await this.missingEntries(wanted) };
      },
      ({ missing, left }) => missing.length === 0 || left === 0,
      STALLED_BOUND_MS,
    );
    const missing = settled.missing;
    const fannedOutMs = missing.length === 0 ? Date.now() - from : -1;
    // Pages are right whatever the timelines hold: a complete timeline short of its count is
    // answered by Postgres, a missing one is rebuilt from it.
    const slugs = this.created.map((c) => c.slug);
    for (const { user } of this.followers) {
      const shown = await this.wholeFeed(user);
      expect(slugs.filter((slug) => !shown.has(slug))).toEqual([]);
    }
    const views = await this.viewsAfterFailover(Date.now());
    let droppedByReconciliation = 0;
    if (missing.length > 0) {
      // Lost, not late (nothing left to run them): the old master acknowledged a job, or a job's
      // ZADDs, and died before replicating it. The design's repair: a reconciliation run (the
      // schedule, or the data-loss monitor after a failover) samples timelines and drops the
      // drifted ones; their next read rebuilds them from Postgres.
      const stuck = settled.left === 0 ? undefined : await this.timelineJobsState();
      expect({ left: settled.left, stuck }).toEqual({ left: 0, stuck: undefined });
      const report = await this.app.app.get(ReconciliationService).run();
      expect(report).not.toBeNull();
      droppedByReconciliation = report!.timelines.drifted;
      // On a miss, what the audit saw goes into the failure message.
      const audit =
        droppedByReconciliation > 0
          ? undefined
          : { timelines: report!.timelines, missing, followers: await this.timelinesState() };
      expect({ dropped: droppedByReconciliation > 0, audit }).toEqual({
        dropped: true,
        audit: undefined,
      });
      const left = await pollUntil(
        () => this.missingEntries(wanted),
        (entries) => entries.length === 0,
        JOBS_BOUND_MS,
      );
      expect(left).toEqual([]);
    }
    const report: JobsReport = {
      created: this.created.length,
      createdDuringFailover: this.created.filter(
        (c) => c.at >= this.trigger && c.at <= this.failoverEnd,
      ).length,
      fannedOutMs,
      rerunAfterStall: await this.rerunAfterStall(),
      lostEntries: missing,
      droppedByReconciliation,
      viewsFlushMs: views,
      queueReadyMs: this.queueReadyMs,
    };
    expect(report.createdDuringFailover).toBeGreaterThan(0);
    return report;
  }

  /** Timeline jobs not finished, plus outbox rows whose jobs are not enqueued yet. */
  private async jobsLeft(): Promise<number> {
    const [{ rows }] = await this.app.db.query<{ rows: number }[]>(
      `SELECT count(*)::int AS rows FROM cache_outbox`,
    );
    return rows + (await queueRead(() => timelineJobsLeft(this.app)));
  }

  /** Timeline jobs (of the last ones kept) that BullMQ found stalled and ran again. */
  private async rerunAfterStall(): Promise<number> {
    const done = await queueRead(() =>
      timelineQueue(this.app).getJobs(['completed', 'failed'], 0, 100),
    );
    return done.filter((job) => job.stalledCounter > 0).length;
  }

  /**
   * Views counted on the new master reach Postgres through a views-flush job run after the
   * failover. The article was never read before, so its count is exact (no pending views of the
   * old master to lose or find).
   */
  private async viewsAfterFailover(from: number): Promise<number> {
    const reads = 5;
    const readsFrom = Date.now();
    for (let i = 0; i < reads; i++)
      await this.app.http().get(`/api/articles/${this.viewed}`).expect(200);
    const flushed = await pollUntil(
      () => this.viewsCount(this.viewed),
      (n) => n === reads,
      JOBS_BOUND_MS,
    );
    const flushedMs = Date.now() - from;
    // On a miss, the views queue's state goes into the failure message.
    const state =
      flushed === reads
        ? undefined
        : await viewsFlushState(this.app, { failoverEnd: this.failoverEnd });
    expect({ flushed, state }).toEqual({ flushed: reads, state: undefined });
    // Moved by the repeatable job (nothing else flushes views): one finished after the reads, on
    // the new master. (Not "started after the failover": a job started just before its end can
    // be the one that moved them, CI saw it once.) On a miss, the jobs go into the message.
    // Its completion is recorded just after its SQL committed: poll for it.
    const flushedAfter = (found: Job[]) =>
      found.filter((job) => job.name === VIEWS_FLUSH_JOB && (job.finishedOn ?? 0) >= readsFrom);
    const jobs = await pollUntil(
      () => queueRead(() => this.queue(VIEWS_QUEUE).getJobs(['completed'], 0, 20)),
      (found) => flushedAfter(found).length > 0,
      JOBS_BOUND_MS,
    );
    const after = flushedAfter(jobs);
    const seen =
      after.length > 0
        ? undefined
        : {
            readsFrom,
            failoverEnd: this.failoverEnd,
            jobs: jobs.map((job) => [job.id, job.processedOn, job.finishedOn]),
          };
    expect({ flushedByAJob: after.length > 0, seen }).toEqual({
      flushedByAJob: true,
      seen: undefined,
    });
    return flushedMs;
  }

  /** Each follower's timeline as the audit reads it (for a failure message). */
  private async timelinesState() {
    const store = this.app.app.get(TimelineStore);
    return Promise.all(
      this.followers.map(async ({ id }) => {
        const { timeline, pending } = await store.loadTimeline(id);
        return {
          id,
          pending,
          complete: timeline?.complete,
          ids: timeline?.entries.map((entry) => entry.id),
        };
      }),
    );
  }

  /** The timeline jobs not finished (for a failure message). */
  private async timelineJobsState() {
    const jobs = await queueRead(() =>
      timelineQueue(this.app).getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 10),
    );
    return Promise.all(
      jobs.map(async (job) => ({
        id: job.id,
        name: job.name,
        data: job.data as unknown,
        state: await job.getState(),
        processedOn: job.processedOn,
        processedBy: job.processedBy,
        attempts: job.attemptsMade,
        stalled: job.stalledCounter,
        now: Date.now(),
      })),
    );
  }

  /** "follower <- article" pairs not in the follower's timeline (a feed read rebuilds a missing one). */
  private async missingEntries(articleIds: number[]): Promise<string[]> {
    const missing: string[] = [];
    for (const { user, id } of this.followers) {
      let ids = await timelineIds(this.app, id);
      if (ids === null) {
        // Dropped (or lost): the next read rebuilds it from Postgres, in the background when the
        // read found another rebuild's lease. Not built yet is not an entry missing: ask again.
        await feedOf(this.app, user);
        ids = await timelineIds(this.app, id);
        if (ids === null) {
          missing.push(`${id}: timeline not rebuilt yet`);
          continue;
        }
      }
      for (const article of articleIds)
        if (!ids.includes(article)) missing.push(`${id} <- ${article}`);
    }
    return missing;
  }

  /** Every slug of the user's feed, page after page. */
  private async wholeFeed(user: RegisteredUser): Promise<Set<string>> {
    const shown = new Set<string>();
    for (let offset = 0; ; offset += 100) {
      const page = await feedOf(this.app, user, `?limit=100&offset=${offset}`);
      page.slugs.forEach((slug) => shown.add(slug));
      if (offset + 100 >= page.count) return shown;
    }
  }

  private async publishLoop(): Promise<void> {
    let n = 0;
    while (!this.stopped) {
      n += 1;
      try {
        const slug = await this.create(`during failover ${n}`);
        this.created.push({
          slug,
          id: await articleId(this.app, slug),
          at: Date.now(),
        });
      } catch (error) {
        this.failures.push(`create ${n}: ${String(error)}`);
      }
      await sleep(CREATE_EVERY_MS);
    }
  }

  private async create(title: string): Promise<string> {
    const response = await this.app
      .http()
      .post('/api/articles')
      .set(authHeader(this.author.token))
      .send({ article: { title: `${title} ${Date.now()}`, description: 'd', body: 'b' } });
    if (response.status !== 201)
      throw new Error(`${response.status} ${JSON.stringify(response.body)}`);
    return response.body.article.slug as string;
  }

  private async viewsCount(slug: string): Promise<number> {
    const rows: { views_count: number }[] = await this.app.db.query(
      `SELECT views_count FROM articles WHERE slug = $1`,
      [slug],
    );
    return Number(rows[0]?.views_count ?? -1);
  }

  private queue(name: string): Queue {
    return this.app.app.get<Queue>(getQueueToken(name));
  }
}

/**
 * What the views flush is doing, for a failure message: its scheduler, its latest jobs, its
 * lock, the views waiting in Redis, its worker; `context` adds the caller's timestamps.
 */
export async function viewsFlushState(app: TestApp, context: Record<string, number>) {
  const queue = app.app.get<Queue>(getQueueToken(VIEWS_QUEUE));
  const keys = app.app.get(RedisKeys);
  const jobs = await queueRead(() =>
    queue.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed'], 0, 20),
  );
  return {
    now: Date.now(),
    ...context,
    counts: await queueRead(() => queue.getJobCounts()),
    schedulers: (await queueRead(() => queue.getJobSchedulers())).map((s) => [s.key, s.next]),
    lockTtlMs: await app.redis.pTTL(keys.lock('views-flush')),
    pending: await app.redis.hGetAll(keys.pendingViews()),
    flushing: await app.redis.hGetAll(keys.flushingViews()),
    worker: await workerState(app.app.get(ViewsFlushProcessor).worker),
    jobs: await Promise.all(
      jobs.map(async (job) => ({
        id: job.id,
        state: await job.getState(),
        createdAt: job.timestamp,
        delay: job.delay,
        processedOn: job.processedOn,
        finishedOn: job.finishedOn,
        returned: job.returnvalue as unknown,
        failed: job.failedReason,
        stalled: job.stalledCounter,
      })),
    ),
  };
}
