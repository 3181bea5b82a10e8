import { QueueCatalog } from '../src/queue/queue-catalog.js';
import { createArticle, registerUser, userId } from './support/factories.js';
import {
  articleId,
  expectNewestInTimeline,
  feedOf,
  follow,
  JOB_BOUND_MS,
  postgresFeed,
  timelineIds,
} from './support/feed.js';
import { pollUntil } from './support/poll.js';
import { proxiedTestRedis, type TcpProxy } from './support/tcp-proxy.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';
import { timelineJobsSettled } from './support/timeline-jobs.js';

/**
 * One instance loses its standalone Redis (a TCP proxy cut) during a write: standalone only (CI's
 * topology passes leave out *redis-down* specs).
 */

describe('Redis down during a write', () => {
  let steady: TestApp;
  let flaky: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    steady = await bootApp();
    await resetState(steady);
    let redisUrl: string;
    ({ proxy, redisUrl } = await proxiedTestRedis());
    // No workers on the instance that loses Redis (a BullMQ worker cut from Redis does not close):
    // the healthy instance runs the jobs, which is the repair under test.
    flaky = await bootApp({ REDIS_URL: redisUrl, QUEUE_WORKERS: 'false' });
  });
  let outage = false;
  afterAll(async () => {
    // Queue workers wait for their Redis connection to come back before they close.
    if (outage) await proxy.restore();
    await flaky.close();
    await steady.close();
    await proxy.cut();
  });

  it('commits the write, serves the feed right afterwards, and the fan-out is repaired', async () => {
    const author = await registerUser(flaky);
    const reader = await registerUser(flaky);
    const readerId = await userId(flaky, reader.username);
    await follow(flaky, reader, author);
    await createArticle(flaky, author.token, { title: 'before the outage' });
    await timelineJobsSettled(flaky); // the follow's job: the follower's feed is Postgres until then
    await feedOf(flaky, reader); // timeline built
    expect(await timelineIds(flaky, readerId)).toHaveLength(1);

    await proxy.cut();
    outage = true;
    const slug = await createArticle(flaky, author.token, { title: 'during the outage' });
    // The instance without Redis answers from Postgres: the new article at once.
    expect(await feedOf(flaky, reader)).toEqual(await postgresFeed(steady, readerId, 20, 0));
    expect((await feedOf(flaky, reader)).slugs[0]).toBe(slug);
    // The job could not be enqueued; the outbox row could: the healthy instance's relay
    // dispatches it, and the fan-out lands in the timeline built before the outage.
    const id = await articleId(steady, slug);
    await expectNewestInTimeline(id, () => timelineIds(steady, readerId));
    // The healthy instance's feed converges on Postgres (count recounted, entry fanned out).
    const expected = await postgresFeed(steady, readerId, 20, 0);
    expect(
      await pollUntil(
        () => feedOf(steady, reader),
        (feed) => JSON.stringify(feed) === JSON.stringify(expected),
        JOB_BOUND_MS,
      ),
    ).toEqual(expected);
    await proxy.restore();
    outage = false;
    // Closing a queue whose connection is still reconnecting leaves it reconnecting for good
    // (BullMQ's quit() fails on a stream that is not writable): wait until they are back.
    const queues = flaky.app.get(QueueCatalog).queues;
    const reconnected = await pollUntil(
      () =>
        Promise.all(queues.map((queue) => queue.getJobCounts())).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      JOB_BOUND_MS,
    );
    expect(reconnected).toBe(true);
    await pollUntil(
      () => steady.db.query(`SELECT id FROM cache_outbox`),
      (rows: unknown[]) => rows.length === 0,
      JOB_BOUND_MS,
    );
    expect(await steady.db.query(`SELECT id FROM cache_outbox`)).toEqual([]);
  });
});
