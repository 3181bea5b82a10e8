import { TimelineFanout } from '../src/articles/feed/timeline-fanout.service.js';
import { QueueCatalog } from '../src/queue/queue-catalog.js';
import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, createArticle, registerUser, userId } from './support/factories.js';
import type { RegisteredUser } from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';
import { timelineJobsLeft, timelineJobsSettled } from './support/timeline-jobs.js';

/** Bound for background work (fan-out jobs) on a loaded 2-core machine. */
const JOB_BOUND_MS = 15_000;

interface Feed {
  slugs: string[];
  count: number;
}

async function feedOf(t: TestApp, user: RegisteredUser, query = ''): Promise<Feed> {
  const response = await t
    .http()
    .get(`/api/articles/feed${query}`)
    .set(authHeader(user.token))
    .expect(200);
  return {
    slugs: (response.body.articles as { slug: string }[]).map((a) => a.slug),
    count: response.body.articlesCount as number,
  };
}

/** The feed as Postgres orders it (the reference every timeline page must equal). */
async function postgresFeed(t: TestApp, viewerId: number, limit: number, offset: number) {
  const rows: { slug: string }[] = await t.db.query(
    `SELECT a.slug FROM articles a JOIN follows f ON f.followee_id = a.author_id
     WHERE f.follower_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
    [viewerId, limit, offset],
  );
  const [{ n }]: { n: number }[] = await t.db.query(
    `SELECT count(*)::int AS n FROM articles a JOIN follows f ON f.followee_id = a.author_id
     WHERE f.follower_id = $1`,
    [viewerId],
  );
  return { slugs: rows.map((row) => row.slug), count: n };
}

async function articleId(t: TestApp, slug: string): Promise<number> {
  const rows: { id: number }[] = await t.db.query(`SELECT id FROM articles WHERE slug = $1`, [
    slug,
  ]);
  return rows[0].id;
}

/** Article ids held by a user's timeline zset (sentinel left out), newest first; null if none. */
async function timelineIds(t: TestApp, userIdValue: number): Promise<number[] | null> {
  const key = t.app.get(RedisKeys).timeline(userIdValue);
  if (!(await t.redis.exists(key))) return null;
  const members = await t.redis.zRange(key, 0, -1, { REV: true });
  return members.filter((m) => m !== '#').map(Number);
}

async function timelineReads(t: TestApp): Promise<number> {
  const metric = await t.metrics.feedReads.get();
  return metric.values.find((v) => v.labels.source === 'timeline')?.value ?? 0;
}

async function follow(t: TestApp, user: RegisteredUser, target: RegisteredUser): Promise<void> {
  await t
    .http()
    .post(`/api/profiles/${target.username}/follow`)
    .set(authHeader(user.token))
    .expect(200);
}

async function unfollow(t: TestApp, user: RegisteredUser, target: RegisteredUser): Promise<void> {
  await t
    .http()
    .delete(`/api/profiles/${target.username}/follow`)
    .set(authHeader(user.token))
    .expect(200);
}

describe('feed timelines (fan-out on write)', () => {
  let t: TestApp;
  let other: TestApp;

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
    other = await bootApp();
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  it('fans a new article out to every follower timeline; feeds on both instances show it', async () => {
    const author = await registerUser(t);
    const readers = [await registerUser(t), await registerUser(t)];
    for (const reader of readers) await follow(t, reader, author);
    await createArticle(t, author.token, { title: 'before the timelines exist' });
    // First reads (once the follows' jobs ran) build the timelines from Postgres.
    await timelineJobsSettled(t);
    for (const reader of readers) expect((await feedOf(t, reader)).count).toBe(1);

    const slug = await createArticle(t, author.token, { title: 'fanned out' });
    const id = await articleId(t, slug);
    for (const reader of readers) {
      const readerId = await userId(t, reader.username);
      const held = await pollUntil(
        () => timelineIds(t, readerId),
        (ids) => ids?.[0] === id,
        JOB_BOUND_MS,
      );
      expect(held?.[0]).toBe(id);
      const before = await timelineReads(other);
      const feed = await feedOf(other, reader);
      expect(feed.slugs[0]).toBe(slug);
      expect(feed.count).toBe(2);
      expect(await timelineReads(other)).toBe(before + 1);
    }
  });

  it('backfills a followed author, removes them on unfollow; the follower reads their own write', async () => {
    const [first, second, reader] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    const readerId = await userId(t, reader.username);
    await follow(t, reader, first);
    await createArticle(t, first.token, { title: 'first author' });
    const older = await createArticle(t, second.token, { title: 'second author, older' });
    const newer = await createArticle(t, second.token, { title: 'second author, newer' });
    await timelineJobsSettled(t);
    expect((await feedOf(t, reader)).count).toBe(1); // builds the timeline
    expect(await timelineIds(t, readerId)).toHaveLength(1);

    await follow(t, reader, second);
    // At once, job or not: the feed waits for nothing and is exact.
    expect(await feedOf(t, reader)).toEqual(await postgresFeed(t, readerId, 20, 0));
    const [olderId, newerId] = [await articleId(t, older), await articleId(t, newer)];
    const backfilled = await pollUntil(
      () => timelineIds(t, readerId),
      (ids) => !!ids && ids.includes(olderId) && ids.includes(newerId),
      JOB_BOUND_MS,
    );
    expect(backfilled).toEqual(expect.arrayContaining([olderId, newerId]));
    await timelineJobsSettled(t);
    const before = await timelineReads(t);
    expect(await feedOf(t, reader)).toEqual({
      slugs: [newer, older, expect.any(String)],
      count: 3,
    });
    expect(await timelineReads(t)).toBe(before + 1);

    await unfollow(t, reader, second);
    expect(await feedOf(t, reader)).toEqual(await postgresFeed(t, readerId, 20, 0));
    const removed = await pollUntil(
      () => timelineIds(t, readerId),
      (ids) => !!ids && !ids.includes(olderId) && !ids.includes(newerId),
      JOB_BOUND_MS,
    );
    expect(removed).toHaveLength(1);
  });

  it('removes a deleted article from every timeline; the feed drops it at once', async () => {
    const author = await registerUser(t);
    const reader = await registerUser(t);
    const readerId = await userId(t, reader.username);
    await follow(t, reader, author);
    const kept = await createArticle(t, author.token, { title: 'kept' });
    const doomed = await createArticle(t, author.token, { title: 'doomed' });
    await timelineJobsSettled(t);
    await feedOf(t, reader);
    const doomedId = await articleId(t, doomed);
    await t.http().delete(`/api/articles/${doomed}`).set(authHeader(author.token)).expect(204);
    expect(await feedOf(t, reader)).toEqual({ slugs: [kept], count: 1 });
    // The delete job removes it; a read before the job ran may instead have dropped the timeline
    // (more entries than the exact count: stale) for a rebuild.
    const held = await pollUntil(
      () => timelineIds(t, readerId),
      (ids) => !ids?.includes(doomedId),
      JOB_BOUND_MS,
    );
    expect(held ?? []).not.toContain(doomedId);
    await timelineJobsSettled(t);
    expect(await feedOf(t, reader)).toEqual({ slugs: [kept], count: 1 });
    expect(await timelineIds(t, readerId)).toEqual([await articleId(t, kept)]);
  });

  it('jobs are idempotent: each run twice leaves the same timelines', async () => {
    const author = await registerUser(t);
    const reader = await registerUser(t);
    const readerId = await userId(t, reader.username);
    const authorId = await userId(t, author.username);
    await follow(t, reader, author);
    const slugs = [
      await createArticle(t, author.token, { title: 'one' }),
      await createArticle(t, author.token, { title: 'two' }),
    ];
    await timelineJobsSettled(t);
    await feedOf(t, reader);
    const fanout = t.app.get(TimelineFanout);
    const key = t.app.get(RedisKeys).timeline(readerId);
    const snapshot = () => t.redis.zRangeWithScores(key, 0, -1);
    const ids = await Promise.all(slugs.map((slug) => articleId(t, slug)));

    for (const run of [
      () => fanout.run('article-created', { articleId: ids[1] }),
      () => fanout.run('followed', { followerId: readerId, followeeId: authorId }),
    ]) {
      await run();
      const once = await snapshot();
      await run();
      expect(await snapshot()).toEqual(once);
      expect(once.map((m) => m.value)).toEqual(
        expect.arrayContaining(ids.map((id) => String(id).padStart(10, '0'))),
      );
    }
    await unfollow(t, reader, author);
    await timelineJobsSettled(t);
    const unfollowed = await snapshot();
    await fanout.run('unfollowed', { followerId: readerId, followeeId: authorId });
    expect(await snapshot()).toEqual(unfollowed);
    expect(unfollowed.map((m) => m.value)).toEqual(['#']);
  });
});

describe('celebrity authors are merged at read time', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ FANOUT_MAX_FOLLOWERS: '3' });
    await resetState(t);
  });
  afterAll(() => t.close());

  it('does not fan out an author above FANOUT_MAX_FOLLOWERS, yet every follower sees the article', async () => {
    const celeb = await registerUser(t);
    const regular = await registerUser(t);
    const readers = [await registerUser(t), await registerUser(t), await registerUser(t)];
    for (const reader of readers) {
      await follow(t, reader, celeb);
      await follow(t, reader, regular);
    }
    // A fourth follower puts the celebrity above the limit; the regular author stays at it.
    await follow(t, await registerUser(t), celeb);
    await createArticle(t, regular.token, { title: 'regular, first' });
    await timelineJobsSettled(t);
    for (const reader of readers) await feedOf(t, reader); // timelines built
    const slug = await createArticle(t, celeb.token, { title: 'from the celebrity' });
    const later = await createArticle(t, regular.token, { title: 'regular, later' });
    const keys = t.app.get(RedisKeys);
    const celebId = await userId(t, celeb.username);
    const pulled = await pollUntil(
      () => t.redis.sIsMember(keys.pulledAuthors(), String(celebId)),
      (member) => member === 1,
      JOB_BOUND_MS,
    );
    expect(pulled).toBe(1);
    await timelineJobsSettled(t);
    const celebArticle = await articleId(t, slug);
    for (const reader of readers) {
      const readerId = await userId(t, reader.username);
      const held = await timelineIds(t, readerId);
      expect(held).toContain(await articleId(t, later)); // the regular author was fanned out
      expect(held).not.toContain(celebArticle); // the celebrity was not
      const before = await timelineReads(t);
      const feed = await feedOf(t, reader);
      expect(feed).toEqual(await postgresFeed(t, readerId, 20, 0));
      expect(feed.slugs).toEqual([later, slug, expect.any(String)]);
      expect(await timelineReads(t)).toBe(before + 1);
    }
  });
});

describe('the feed from timelines equals the Postgres feed', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ TIMELINE_MAX: '20', FANOUT_MAX_FOLLOWERS: '3' });
    await resetState(t);
  });
  afterAll(() => t.close());

  it('same ids, order and articlesCount for a random mix, pages beyond TIMELINE_MAX included', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const authors = await Promise.all([0, 1, 2, 3, 4].map(() => registerUser(t)));
    const readers = await Promise.all([0, 1, 2, 3, 4].map(() => registerUser(t)));
    // Author 0 gets 5 followers (above FANOUT_MAX_FOLLOWERS = 3): merged at read time.
    for (const reader of readers) await follow(t, reader, authors[0]);
    for (const reader of readers)
      for (const author of authors.slice(1)) if (random(3) > 0) await follow(t, reader, author);
    await timelineJobsSettled(t);
    for (const reader of readers) await feedOf(t, reader); // timelines built (empty)

    const slugs: string[] = [];
    for (let i = 0; i < 60; i++) {
      const author = authors[random(authors.length)];
      slugs.push(await createArticle(t, author.token, { title: `mix ${i}` }));
      if (i % 10 === 9) {
        const victim = slugs.splice(random(slugs.length), 1)[0];
        await t
          .http()
          .delete(`/api/articles/${victim}`)
          .set(authHeader(await ownerToken(t, victim, authors)))
          .expect(204);
      }
      if (i === 30) {
        await unfollow(t, readers[0], authors[0]);
        await follow(t, readers[0], authors[0]);
      }
    }
    await timelineJobsSettled(t);

    const pages: [number, number][] = [
      [20, 0],
      [10, 0],
      [7, 3],
      [10, 10],
      [5, 15],
      [3, 18],
      [10, 20],
      [20, 40],
      [100, 0],
    ];
    let fromTimelines = 0;
    for (const reader of readers) {
      const readerId = await userId(t, reader.username);
      for (const [limit, offset] of pages) {
        const before = await timelineReads(t);
        const feed = await feedOf(t, reader, `?limit=${limit}&offset=${offset}`);
        fromTimelines += (await timelineReads(t)) - before;
        expect({ reader: readerId, limit, offset, ...feed }).toEqual({
          reader: readerId,
          limit,
          offset,
          ...(await postgresFeed(t, readerId, limit, offset)),
        });
      }
      // The first page always fits in the timelines.
      const before = await timelineReads(t);
      await feedOf(t, reader, '?limit=10');
      expect(await timelineReads(t)).toBe(before + 1);
    }
    expect(fromTimelines).toBeGreaterThan(readers.length);
  });
});

async function articleOwner(t: TestApp, slug: string): Promise<string> {
  const rows: { username: string }[] = await t.db.query(
    `SELECT u.username FROM articles a JOIN users u ON u.id = a.author_id WHERE a.slug = $1`,
    [slug],
  );
  return rows[0].username;
}

async function ownerToken(t: TestApp, slug: string, authors: RegisteredUser[]): Promise<string> {
  const owner = await articleOwner(t, slug);
  return authors.find((a) => a.username === owner)!.token;
}

describe('Redis down during a write', () => {
  let steady: TestApp;
  let flaky: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    steady = await bootApp();
    await resetState(steady);
    const redisUrl = new URL(process.env.REDIS_URL!);
    proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    const port = await proxy.start();
    // No workers on the instance that loses Redis (a BullMQ worker cut from Redis does not close):
    // the healthy instance runs the jobs, which is the repair under test.
    flaky = await bootApp({
      REDIS_URL: `redis://127.0.0.1:${port}${redisUrl.pathname}`,
      QUEUE_WORKERS: 'false',
    });
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
    const held = await pollUntil(
      () => timelineIds(steady, readerId),
      (ids) => ids?.[0] === id,
      JOB_BOUND_MS,
    );
    expect(held?.[0]).toBe(id);
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

describe('a timeline job queued before a restart', () => {
  it('runs after the restart (the queue lives in Redis)', async () => {
    const setup = await bootApp();
    let author: RegisteredUser;
    let reader: RegisteredUser;
    let readerId: number;
    let id: number;
    try {
      await resetState(setup);
      author = await registerUser(setup);
      reader = await registerUser(setup);
      readerId = await userId(setup, reader.username);
      await follow(setup, reader, author);
      await createArticle(setup, author.token, { title: 'before the restart' });
      await timelineJobsSettled(setup);
      await feedOf(setup, reader); // timeline built
      expect(await timelineIds(setup, readerId)).toHaveLength(1);
    } finally {
      await setup.close();
    }
    // An instance without workers: its writes enqueue, nothing runs the jobs.
    const producer = await bootApp({ QUEUE_WORKERS: 'false' });
    try {
      const slug = await createArticle(producer, author.token, { title: 'queued' });
      id = await articleId(producer, slug);
      expect(await timelineJobsLeft(producer)).toBeGreaterThan(0);
      expect(await timelineIds(producer, readerId)).not.toContain(id);
      // Exact meanwhile: the complete timeline lacks one entry, so Postgres answers.
      expect((await feedOf(producer, reader)).slugs[0]).toBe(slug);
    } finally {
      await producer.close();
    }
    const restarted = await bootApp();
    try {
      const held = await pollUntil(
        () => timelineIds(restarted, readerId),
        (ids) => ids?.[0] === id,
        JOB_BOUND_MS,
      );
      expect(held?.[0]).toBe(id);
      await timelineJobsSettled(restarted);
      const before = await timelineReads(restarted);
      expect((await feedOf(restarted, reader)).count).toBe(2);
      expect(await timelineReads(restarted)).toBe(before + 1);
    } finally {
      await restarted.close();
    }
  });
});
