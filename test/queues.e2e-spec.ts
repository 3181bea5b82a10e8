import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { ViewsFlushProcessor } from '../src/views/views-flush.processor.js';
import { VIEWS_FLUSH_JOB, VIEWS_QUEUE } from '../src/views/views-queue.js';
import { WorkersOff } from '../src/queue/queue.module.js';
import { RECONCILE_JOB, STATS_QUEUE } from '../src/reconciliation/reconciliation-queue.js';
import { createArticle, registerUser } from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const viewsOf = async (t: TestApp, slug: string): Promise<number> => {
  const rows: { views_count: number }[] = await t.db.query(
    `SELECT views_count FROM articles WHERE slug = $1`,
    [slug],
  );
  return Number(rows[0]?.views_count ?? -1);
};

const queueOf = (t: TestApp, name: string) => t.app.get<Queue>(getQueueToken(name));

/** Job attempts this app's workers made on a queue (the queue_job_duration_seconds histogram). */
async function attemptsOn(t: TestApp, queue: string): Promise<number> {
  const metric = await t.metrics.registry.getSingleMetric('queue_job_duration_seconds')!.get();
  return metric.values
    .filter((v) => {
      const name = (v as { metricName?: string }).metricName ?? '';
      return name.endsWith('_count') && v.labels.queue === queue;
    })
    .reduce((sum, v) => sum + v.value, 0);
}

describe('Queues: background work as BullMQ jobs', () => {
  let t: TestApp;
  const extra: TestApp[] = [];

  beforeAll(async () => {
    t = await bootApp({ VIEWS_FLUSH_INTERVAL_MS: '200', QUEUE_BACKOFF_MS: '50' });
    await resetState(t);
  });

  afterEach(async () => {
    while (extra.length) await extra.pop()!.close();
  });

  afterAll(async () => {
    await t.close();
  });

  it('the views flush is a repeatable job: counted views reach Postgres without a call', async () => {
    const author = await registerUser(t);
    const slug = await createArticle(t, author.token, { title: 'Queued views' });
    for (let i = 0; i < 5; i++) await t.http().get(`/api/articles/${slug}`).expect(200);
    expect(
      await pollUntil(
        () => viewsOf(t, slug),
        (views) => views === 5,
        20_000,
      ),
    ).toBe(5);
    const schedulers = await queueOf(t, VIEWS_QUEUE).getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([['views-flush', 200]]);
  });

  it('a failing job is retried with backoff, then kept in the failed set', async () => {
    const queue = queueOf(t, VIEWS_QUEUE);
    const job = await queue.add('no-such-job', {}, { attempts: 3 });
    const state = await pollUntil(
      () => queue.getJobState(job.id!),
      (s) => s === 'failed',
      20_000,
    );
    expect(state).toBe('failed');
    const failed = (await queue.getJob(job.id!))!;
    expect(failed.attemptsMade).toBe(3);
    expect(failed.failedReason).toBe('views has no job named "no-such-job"');
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/^queue_job_failures_total\{queue="views",job="no-such-job"\} 3$/m);
    expect(text).toMatch(/^queue_jobs\{queue="views",state="failed"\} [1-9]\d*$/m);
  });

  it('a job queued while no worker runs is run once a worker starts (restart with jobs queued)', async () => {
    const author = await registerUser(t);
    const slug = await createArticle(t, author.token, { title: 'Views while workers are off' });
    // Stop this instance's workers: only the queue side stays.
    await t.close();
    const producer = await bootApp({ QUEUE_WORKERS: 'false', VIEWS_FLUSH_INTERVAL_MS: '0' });
    extra.push(producer);
    expect(producer.app.get(ViewsFlushProcessor)).toBeInstanceOf(WorkersOff);
    for (let i = 0; i < 3; i++) await producer.http().get(`/api/articles/${slug}`).expect(200);
    const queue = queueOf(producer, VIEWS_QUEUE);
    // No scheduler would run it (interval 0 on the next worker): only the queued job can.
    await queue.removeJobScheduler('views-flush');
    const job = await queue.add(VIEWS_FLUSH_JOB, {});
    expect(await queue.getJobState(job.id!)).toBe('waiting');
    expect(await viewsOf(producer, slug)).toBe(0);

    t = await bootApp({ VIEWS_FLUSH_INTERVAL_MS: '0', QUEUE_BACKOFF_MS: '50' });
    const state = await pollUntil(
      () => queue.getJobState(job.id!),
      (s) => s === 'completed',
      20_000,
    );
    expect(state).toBe('completed');
    expect(await viewsOf(t, slug)).toBe(3);
    expect((await queue.getJob(job.id!))?.returnvalue).toBe(3);
  });

  it('two instances: each scheduled reconciliation job runs on exactly one of them', async () => {
    const schedule = { RECONCILE_ENABLED: 'true', RECONCILE_CRON: '* * * * * *' };
    await t.close();
    t = await bootApp(schedule);
    const other = await bootApp(schedule);
    extra.push(other);
    const queue = queueOf(t, STATS_QUEUE);
    const done = await pollUntil(
      () => queue.getJobCountByTypes('completed'),
      (count) => count >= 3,
      30_000,
    );
    expect(done).toBeGreaterThanOrEqual(3);
    // Stop the schedule (removing the scheduler drops its next job) and let running jobs end.
    await queue.removeJobScheduler('reconciliation');
    const idle = await pollUntil(
      () => queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized'),
      (c) => c.active + c.waiting + c.delayed + c.prioritized === 0,
      20_000,
    );
    expect(idle).toEqual({ active: 0, waiting: 0, delayed: 0, prioritized: 0 });
    const jobs = await queue.getJobs(['completed', 'failed']);
    const reconcileJobs = jobs.filter((job) => job.name === RECONCILE_JOB);
    const attempts = (await attemptsOn(t, STATS_QUEUE)) + (await attemptsOn(other, STATS_QUEUE));
    // One attempt per job, whichever instance took it: no job ran twice.
    expect(attempts).toBe(reconcileJobs.reduce((sum, job) => sum + job.attemptsMade, 0));
    expect(reconcileJobs.every((job) => job.finishedOn !== undefined)).toBe(true);
    expect(new Set(reconcileJobs.map((job) => job.id)).size).toBe(reconcileJobs.length);
  });
});
