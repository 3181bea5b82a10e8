import { RedisKeys } from '../src/redis/keys.js';
import { idMember } from '../src/redis/lazy-structure.js';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service.js';
import {
  authHeader,
  createArticle,
  registerUser,
  userId,
  type RegisteredUser,
} from './support/factories.js';
import { articleId, feedOf, follow, postgresFeed, timelineIds } from './support/feed.js';
import { pollUntil } from './support/poll.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';
import { timelineJobsSettled } from './support/timeline-jobs.js';

/** The ids Postgres says a timeline must hold (all followees are pushed here). */
async function postgresIds(t: TestApp, viewerId: number): Promise<number[]> {
  const rows: { id: number }[] = await t.db.query(
    `SELECT a.id FROM articles a JOIN follows f ON f.followee_id = a.author_id
     WHERE f.follower_id = $1 ORDER BY a.created_at DESC, a.id DESC`,
    [viewerId],
  );
  return rows.map((row) => row.id);
}

async function timelineCounter(t: TestApp, kind: 'checked' | 'drifted'): Promise<number> {
  const metric = await t.metrics.reconciliationTimelines.get();
  return metric.values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

describe('reconciliation: checks feed timelines against Postgres and drops the drifted ones', () => {
  let t: TestApp;
  let service: ReconciliationService;
  let keys: RedisKeys;
  let admin: RegisteredUser;
  let corrupted: RegisteredUser;
  let intact: RegisteredUser;
  let corruptedId: number;
  let intactId: number;
  let foreignArticle: number;

  beforeAll(async () => {
    t = await bootApp({ ADMIN_EMAILS: 'tl-admin@example.com' });
    service = t.app.get(ReconciliationService);
    keys = t.app.get(RedisKeys);
    await resetState(t);
    admin = await registerUser(t, { email: 'tl-admin@example.com' });
    const [first, second, stranger] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    corrupted = await registerUser(t);
    intact = await registerUser(t);
    [corruptedId, intactId] = [
      await userId(t, corrupted.username),
      await userId(t, intact.username),
    ];
    for (const reader of [corrupted, intact]) {
      await follow(t, reader, first);
      await follow(t, reader, second);
    }
    for (let i = 0; i < 3; i++) await createArticle(t, first.token, { title: `first ${i}` });
    for (let i = 0; i < 2; i++) await createArticle(t, second.token, { title: `second ${i}` });
    foreignArticle = await articleId(
      t,
      await createArticle(t, stranger.token, { title: 'not followed' }),
    );
    await timelineJobsSettled(t);
    // The follows' pending marks are gone once their jobs ran; the first reads build the timelines.
    for (const [reader, id] of [
      [corrupted, corruptedId],
      [intact, intactId],
    ] as const) {
      const built = await pollUntil(
        async () => {
          await feedOf(t, reader);
          return timelineIds(t, id);
        },
        (ids) => ids !== null,
        15_000,
      );
      expect(built).toEqual(await postgresIds(t, id));
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports and drops a timeline holding a foreign article and missing one of its own', async () => {
    const held = (await timelineIds(t, corruptedId))!;
    const intactBefore = await timelineIds(t, intactId);
    const key = keys.timeline(corruptedId);
    await t.redis.zAdd(key, { score: Date.now() + 60_000, value: idMember(foreignArticle) });
    await t.redis.zRem(key, idMember(held[2]));
    const drifted = await timelineCounter(t, 'drifted');

    const report = (await service.run())!;

    expect(report.timelines).toEqual({ checked: 2, drifted: 1 });
    expect(await timelineIds(t, corruptedId)).toBeNull(); // dropped
    expect(await timelineIds(t, intactId)).toEqual(intactBefore); // left alone
    expect(await timelineCounter(t, 'drifted')).toBe(drifted + 1);
    // The next read rebuilds it from Postgres: the feed and the timeline equal Postgres again.
    expect(await feedOf(t, corrupted)).toEqual(await postgresFeed(t, corruptedId, 20, 0));
    expect(await timelineIds(t, corruptedId)).toEqual(await postgresIds(t, corruptedId));
  });

  it('a run over correct timelines drops nothing; the admin status shows the counts', async () => {
    const report = (await service.run())!;
    expect(report.timelines).toEqual({ checked: 2, drifted: 0 });
    expect(await timelineIds(t, corruptedId)).toEqual(await postgresIds(t, corruptedId));
    expect(await timelineIds(t, intactId)).toEqual(await postgresIds(t, intactId));

    const status = await t
      .http()
      .get('/api/admin/reconciliation')
      .set(authHeader(admin.token))
      .expect(200);
    expect(status.body.lastRun.timelines).toEqual({ checked: 2, drifted: 0 });
  });
});

describe('reconciliation: trimmed timelines and pulled authors', () => {
  let t: TestApp;
  let service: ReconciliationService;
  let keys: RedisKeys;
  let trimmedReader: RegisteredUser;
  let completeReader: RegisteredUser;
  let trimmedId: number;
  let completeId: number;

  beforeAll(async () => {
    // An author with more than one follower is pulled (merged at read time, never in timelines).
    t = await bootApp({ TIMELINE_MAX: '20', FANOUT_MAX_FOLLOWERS: '1' });
    service = t.app.get(ReconciliationService);
    keys = t.app.get(RedisKeys);
    await resetState(t);
    const [prolific, quiet, popular] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    trimmedReader = await registerUser(t);
    completeReader = await registerUser(t);
    [trimmedId, completeId] = [
      await userId(t, trimmedReader.username),
      await userId(t, completeReader.username),
    ];
    await follow(t, trimmedReader, prolific);
    await follow(t, completeReader, quiet);
    for (const reader of [trimmedReader, completeReader]) await follow(t, reader, popular);
    await createArticle(t, popular.token, { title: 'popular, pulled' });
    for (let i = 0; i < 22; i++) await createArticle(t, prolific.token, { title: `prolific ${i}` });
    for (let i = 0; i < 2; i++) await createArticle(t, quiet.token, { title: `quiet ${i}` });
    await timelineJobsSettled(t);
    for (const [reader, id] of [
      [trimmedReader, trimmedId],
      [completeReader, completeId],
    ] as const) {
      await pollUntil(
        async () => {
          await feedOf(t, reader, '?limit=10');
          return timelineIds(t, id);
        },
        (ids) => ids !== null,
        15_000,
      );
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('a trimmed timeline and one without its pulled author are correct and kept', async () => {
    const [trimmedBefore, completeBefore] = [
      await timelineIds(t, trimmedId),
      await timelineIds(t, completeId),
    ];
    expect(trimmedBefore).toHaveLength(20); // the newest 20 of 22: trimmed
    expect(completeBefore).toHaveLength(2); // the pulled author's article is not in it

    const report = (await service.run())!;

    expect(report.timelines).toEqual({ checked: 2, drifted: 0 });
    expect(await timelineIds(t, trimmedId)).toEqual(trimmedBefore);
    expect(await timelineIds(t, completeId)).toEqual(completeBefore);
  });

  it('a trimmed timeline missing its newest entry is dropped; the feed equals Postgres', async () => {
    const held = (await timelineIds(t, trimmedId))!;
    const completeBefore = await timelineIds(t, completeId);
    await t.redis.zRem(keys.timeline(trimmedId), idMember(held[0]));

    const report = (await service.run())!;

    expect(report.timelines).toEqual({ checked: 2, drifted: 1 });
    expect(await timelineIds(t, trimmedId)).toBeNull();
    expect(await timelineIds(t, completeId)).toEqual(completeBefore);
    expect(await feedOf(t, trimmedReader, '?limit=10')).toEqual(
      await postgresFeed(t, trimmedId, 10, 0),
    );
  });
});
