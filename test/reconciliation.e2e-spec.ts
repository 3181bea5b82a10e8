import { RedisKeys } from '../src/redis/keys.js';
import type { ReconciliationReport } from '../src/reconciliation/reconciliation-report.js';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service.js';
import { authHeader, registerUser, userId, type RegisteredUser } from './support/factories.js';
import { boardOf, dbCounts, expectRedisToMatchDb } from './support/reconciliation.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const clean = { added: 0, changed: 0, removed: 0, largestDifference: 0 };

describe('reconciliation: repairs corrupted Redis and reports each correction', () => {
  let t: TestApp;
  let keys: RedisKeys;
  let service: ReconciliationService;
  let admin: RegisteredUser;
  let users: RegisteredUser[];
  let ids: number[];

  const follow = (viewer: RegisteredUser, target: RegisteredUser) =>
    t
      .http()
      .post(`/api/profiles/${target.username}/follow`)
      .set(authHeader(viewer.token))
      .expect(200);

  beforeAll(async () => {
    t = await bootApp({ ADMIN_EMAILS: 'rec-admin@example.com' });
    keys = t.app.get(RedisKeys);
    service = t.app.get(ReconciliationService);
    await resetState(t);
    admin = await registerUser(t, { email: 'rec-admin@example.com' });
    users = [];
    for (let i = 0; i < 5; i++) users.push(await registerUser(t));
    ids = await Promise.all(users.map((user) => userId(t, user.username)));
    const [a, b, c, d, e] = users;
    for (const fan of [b, c, d, e]) await follow(fan, a); // a: 4 followers
    for (const fan of [a, c]) await follow(fan, b); // b: 2 followers
    await follow(a, c);
    // Articles feed three more metrics: a writes two, one of them favorited twice, one viewed.
    for (const title of ['Rec one', 'Rec two']) {
      await t
        .http()
        .post('/api/articles')
        .set(authHeader(a.token))
        .send({ article: { title, description: 'd', body: 'b' } })
        .expect(201);
    }
    for (const fan of [b, c]) {
      await t.http().post('/api/articles/rec-one/favorite').set(authHeader(fan.token)).expect(200);
    }
    await t.db.query(`UPDATE articles SET views_count = 7 WHERE slug = 'rec-two'`); // as a flush would
  });
  afterAll(async () => {
    await t.close();
  });

  it('a first run builds every hash; a second run finds nothing to correct', async () => {
    const first = (await service.run())!;
    expect(first.usersScanned).toBe(6);
    expect(first.hashes.created).toBeGreaterThan(0);
    await expectRedisToMatchDb(t);
    const second = (await service.run())!;
    expect(second).toMatchObject({
      usersScanned: 6,
      hashes: { created: 0, corrected: 0 },
      metrics: { followers: clean, following: clean },
    });
  });

  it('fixes wrong scores, missing keys, ghost members and deleted or wrong hashes', async () => {
    const [a, b, c] = ids;
    await t.redis.zAdd(keys.leaderboard('followers'), { score: 99, value: String(a) }); // was 4
    await t.redis.zAdd(keys.leaderboard('followers'), { score: 5, value: '999999' }); // ghost
    await t.redis.zRem(keys.leaderboard('followers'), String(b)); // missing member (was 2)
    await t.redis.del(keys.leaderboard('following')); // missing key: a, c, d, e follow someone
    await t.redis.del(keys.userCounts(b)); // deleted hash
    await t.redis.hSet(keys.userCounts(c), 'following', '42'); // wrong hash value (was 0)
    await t.redis.zAdd(keys.leaderboard('likes'), { score: 10, value: String(a) }); // was 2
    await t.redis.del(keys.leaderboard('views')); // a has 7 views

    const report = (await service.run())!;
    expect(report.usersScanned).toBe(6);
    expect(report.hashes).toEqual({ created: 1, corrected: 1 });
    expect(report.metrics.followers).toEqual({
      added: 1,
      changed: 1,
      removed: 1,
      largestDifference: 95,
    });
    expect(report.metrics.following).toEqual({
      added: (await dbCounts(t, 'following')).size,
      changed: 0,
      removed: 0,
      largestDifference: 2,
    });
    expect(report.metrics.likes).toEqual({
      added: 0,
      changed: 1,
      removed: 0,
      largestDifference: 8,
    });
    expect(report.metrics.views).toEqual({
      added: 1,
      changed: 0,
      removed: 0,
      largestDifference: 7,
    });
    expect(report.metrics.articles).toEqual(clean);
    expect(Object.keys(report.metrics).sort()).toEqual([
      'articles',
      'followers',
      'following',
      'likes',
      'views',
    ]);
    await expectRedisToMatchDb(t);
  });

  it('GET /api/admin/reconciliation serves the last report; POST runs one (202)', async () => {
    await t.redis.zAdd(keys.leaderboard('followers'), { score: 1, value: '424242' });
    const before = await t
      .http()
      .get('/api/admin/reconciliation')
      .set(authHeader(admin.token))
      .expect(200);
    expect(before.body.running).toBe(false);
    const previous = before.body.lastRun as ReconciliationReport;
    expect(previous.metrics.followers).toEqual({
      ...clean,
      added: 1,
      changed: 1,
      removed: 1,
      largestDifference: 95,
    });

    const started = await t
      .http()
      .post('/api/admin/reconciliation')
      .set(authHeader(admin.token))
      .expect(202);
    expect(started.body).toHaveProperty('running');
    let status = before.body as { running: boolean; lastRun: ReconciliationReport };
    for (let i = 0; i < 100 && status.lastRun.startedAt === previous.startedAt; i++) {
      await sleep(50);
      status = (
        await t.http().get('/api/admin/reconciliation').set(authHeader(admin.token)).expect(200)
      ).body;
    }
    expect(status.lastRun.metrics.followers).toEqual({
      ...clean,
      removed: 1,
      largestDifference: 1,
    });
    expect((await boardOf(t, 'followers')).has(424242)).toBe(false);
    while (status.running) {
      await sleep(20);
      status = (
        await t.http().get('/api/admin/reconciliation').set(authHeader(admin.token)).expect(200)
      ).body;
    }
    expect(await t.redis.exists(keys.lock('reconciliation'))).toBe(0);
  });

  it('exports the report as Prometheus metrics', async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(
      /reconciliation_corrections_total\{metric="followers",kind="changed"\} 1\b/,
    );
    expect(text).toMatch(
      /reconciliation_corrections_total\{metric="followers",kind="removed"\} 2\b/,
    );
    // One in the first run (views written straight to Postgres in the set-up), one corrupted here.
    expect(text).toMatch(/reconciliation_hash_repairs_total\{kind="corrected"\} 2\b/);
    expect(text).toMatch(/reconciliation_runs_total\{outcome="completed"\} 4\b/);
    expect(text).toMatch(/reconciliation_users_scanned 6\b/);
  });

  it('admin endpoints answer 401 without a token and 403 for a non-admin', async () => {
    await t.http().get('/api/admin/reconciliation').expect(401);
    await t.http().post('/api/admin/reconciliation').expect(401);
    await t.http().get('/api/admin/reconciliation').set(authHeader(users[0].token)).expect(403);
    await t.http().post('/api/admin/reconciliation').set(authHeader(users[0].token)).expect(403);
  });
});
