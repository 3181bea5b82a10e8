import { TimelineFanout } from '../src/feed/timeline-fanout.service.js';
import { TIMELINE_JOB_KIND } from '../src/feed/timeline-jobs.js';
import { TimelineQueue } from '../src/feed/timeline-queue.js';
import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, createArticle, registerUser, userId } from './support/factories.js';
import type { RegisteredUser } from './support/factories.js';
import {
  articleId,
  expectNewestInTimeline,
  feedOf,
  follow,
  JOB_BOUND_MS,
  ownerToken,
  postgresFeed,
  timelineIds,
  timelineReads,
  unfollow,
} from './support/feed.js';
import { pollUntil } from './support/poll.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';
import { timelineJobsLeft, timelineJobsSettled, timelineQueue } from './support/timeline-jobs.js';

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
      await expectNewestInTimeline(id, () => timelineIds(t, readerId));
      const before = await timelineReads(other);
      const feed = await feedOf(other, reader);
      expect(feed.slugs[0]).toBe(slug);
      expect(feed.count).toBe(2);
      expect(await timelineReads(other)).toBe(before + 1);
    }
  });

  it('a follow or unfollow on one instance shows in the feed the other one serves, whose tier held the followees', async () => {
    const [first, second, reader] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    await follow(t, reader, first);
    await createArticle(t, first.token, { title: 'followed from the start' });
    const later = await createArticle(t, second.token, { title: 'followed later' });
    await timelineJobsSettled(t);
    // Read twice on the other instance: its followees entry is now in its in-process tier.
    expect((await feedOf(other, reader)).count).toBe(1);
    expect((await feedOf(other, reader)).count).toBe(1);
    // A stale followees entry would not show as a wrong page (the counts check sends the page to
    // Postgres) but as every page read from Postgres: so each read must come from the timeline.
    const readOnOther = async () => {
      const before = await timelineReads(other);
      const feed = await feedOf(other, reader);
      return { ...feed, fromTimeline: (await timelineReads(other)) === before + 1 };
    };

    await follow(t, reader, second);
    await timelineJobsSettled(t);
    const followed = await pollUntil(
      readOnOther,
      (read) => read.fromTimeline && read.count === 2,
      1000,
    );
    expect(followed).toMatchObject({ fromTimeline: true, count: 2 });
    expect(followed.slugs[0]).toBe(later);
    await unfollow(t, reader, second);
    await timelineJobsSettled(t);
    const unfollowed = await pollUntil(
      readOnOther,
      (read) => read.fromTimeline && read.count === 1,
      1000,
    );
    expect(unfollowed).toMatchObject({ fromTimeline: true, count: 1 });
    expect(unfollowed.slugs).not.toContain(later);
  });

  it('shows every author as followed and the reader’s own favorites on each item', async () => {
    const [first, second, reader] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    await follow(t, reader, first);
    await follow(t, reader, second);
    const older = await createArticle(t, first.token, { title: 'not favorited' });
    const newer = await createArticle(t, second.token, { title: 'favorited' });
    await timelineJobsSettled(t);
    await t
      .http()
      .post(`/api/articles/${newer}/favorite`)
      .set(authHeader(reader.token))
      .expect(200);
    // The second author's own view of the same article: not following themself, not favorited.
    const flags = async (app: TestApp, user: RegisteredUser) =>
      (
        (await app.http().get('/api/articles/feed').set(authHeader(user.token)).expect(200)).body
          .articles as { slug: string; favorited: boolean; author: { following: boolean } }[]
      ).map((item) => [item.slug, item.author.following, item.favorited]);
    for (const app of [t, other]) {
      expect(await flags(app, reader)).toEqual([
        [newer, true, true],
        [older, true, false],
      ]);
    }
    await follow(t, second, first);
    await timelineJobsSettled(t);
    expect(await flags(t, second)).toEqual([[older, true, false]]);
  });

  it('a follow whose follower has no timeline loaded queues no job; the first read builds it right', async () => {
    const [author, later, reader] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    const slug = await createArticle(t, author.token, { title: 'read after the follow' });
    await createArticle(t, later.token, { title: 'followed once the timeline is loaded' });
    await timelineJobsSettled(t);
    const readerId = await userId(t, reader.username);
    const jobsEver = async () =>
      Object.values(await timelineQueue(t).getJobCounts()).reduce((sum, n) => sum + n, 0);

    const before = await jobsEver();
    await follow(t, reader, author);
    expect(await jobsEver()).toBe(before); // no timeline to update: no job
    expect(await timelineIds(t, readerId)).toBeNull();
    const feed = await feedOf(t, reader); // builds the timeline from Postgres
    expect(feed.slugs).toEqual([slug]);
    const built = await pollUntil(
      () => timelineIds(t, readerId),
      (ids) => ids !== null,
      JOB_BOUND_MS,
    );
    expect(built).toEqual([await articleId(t, slug)]);

    // Loaded now: the next follow needs its job (backfill), and gets it.
    await follow(t, reader, later);
    expect(await jobsEver()).toBe(before + 1);
    await timelineJobsSettled(t);
    expect(await timelineIds(t, readerId)).toHaveLength(2);
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

  it('a follow job handed over again after it ran (a replay) leaves no pending mark behind', async () => {
    const [first, author, reader] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    const readerId = await userId(t, reader.username);
    await follow(t, reader, first);
    await timelineJobsSettled(t);
    await feedOf(t, reader); // builds the reader's timeline: the next follow needs a job
    expect(await timelineIds(t, readerId)).not.toBeNull();
    await follow(t, reader, author);
    await timelineJobsSettled(t);
    const pending = t.app.get(RedisKeys).timelinePending(readerId);
    expect(await t.redis.exists(pending)).toBe(0);
    const ran = (await timelineQueue(t).getJobs(['completed'])).find(
      (job) => job.name === 'followed' && job.data.followerId === readerId,
    );
    expect(ran?.id).toMatch(/^timeline-/);
    // Handed over again, as JobReplay does after a failover: BullMQ keeps the completed job, so
    // the add is a no-op and no run would lift the mark the hand-over sets.
    const accepted = await t.app.get(TimelineQueue).enqueue(
      [
        {
          kind: TIMELINE_JOB_KIND,
          name: 'followed',
          data: ran!.data as Record<string, number>,
          id: ran!.id!.slice('timeline-'.length),
        },
      ],
      true,
    );
    expect(accepted).toBe(true);
    expect(await t.redis.exists(pending)).toBe(0);
    expect(await timelineJobsLeft(t)).toBe(0);
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
      await expectNewestInTimeline(id, () => timelineIds(restarted, readerId));
      await timelineJobsSettled(restarted);
      const before = await timelineReads(restarted);
      expect((await feedOf(restarted, reader)).count).toBe(2);
      expect(await timelineReads(restarted)).toBe(before + 1);
    } finally {
      await restarted.close();
    }
  });
});
