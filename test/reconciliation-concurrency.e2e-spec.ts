import { RedisKeys } from '../src/redis/keys.js';
import { RedisLocks } from '../src/redis/redis-lock.js';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service.js';
import { authHeader, insertUsers, registerUser, type RegisteredUser } from './support/factories.js';
import { expectRedisToMatchDb } from './support/reconciliation.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('reconciliation under concurrent writes, across two instances', () => {
  let one: TestApp;
  let two: TestApp;
  let keys: RedisKeys;
  let admin: RegisteredUser;
  let writers: RegisteredUser[];
  let targets: string[];

  beforeAll(async () => {
    // Small batches: the run takes many lock/count/write rounds, so writes interleave with them.
    const env = { ADMIN_EMAILS: 'conc-admin@example.com', RECONCILE_BATCH_SIZE: '5' };
    one = await bootApp(env);
    two = await bootApp(env);
    keys = one.app.get(RedisKeys);
    await resetState(one);
    admin = await registerUser(one, { email: 'conc-admin@example.com' });
    writers = [];
    for (let i = 0; i < 8; i++) writers.push(await registerUser(one));
    const bulk = await insertUsers(one, 120, `bulk${process.pid}x`);
    targets = [...writers.map((w) => w.username), ...bulk.map((u) => u.username)];
    for (const [i, writer] of writers.slice(0, 3).entries()) {
      await one
        .http()
        .post('/api/articles')
        .set(authHeader(writer.token))
        .send({ article: { title: `Race ${i}`, description: 'd', body: 'b' } })
        .expect(201);
    }
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  const waitUntilIdle = async (app: TestApp) => {
    for (let i = 0; i < 400; i++) {
      const status = await app
        .http()
        .get('/api/admin/reconciliation')
        .set(authHeader(admin.token))
        .expect(200);
      if (!status.body.running) return status.body;
      await sleep(25);
    }
    throw new Error('reconciliation still running after 10 s');
  };

  it('loses no follow, unfollow, favorite or new article that commits while the job runs', async () => {
    // Redis starts out wrong, so the run has real corrections to make while writes race it.
    await one.redis.zAdd(keys.leaderboard('followers'), { score: 7, value: '999999' });
    let stop = false;
    let runStart = Infinity;
    let runEnd = Infinity;
    let writesDuringRun = 0;
    const loop = async (w: number) => {
      const writer = writers[w];
      const app = w % 2 === 0 ? one : two;
      let i = w;
      while (!stop) {
        i += 7;
        const target = targets[(i * 31 + w) % targets.length];
        if (target === writer.username) continue;
        const follow = (i + w) % 3 !== 0;
        const kind = i % 11 === 0 ? 'article' : i % 4 === 0 ? 'favorite' : 'follow';
        const slug = `race-${i % 3}`;
        const request =
          kind === 'article'
            ? app
                .http()
                .post('/api/articles')
                .send({ article: { title: `Racing ${w} ${i}`, description: 'd', body: 'b' } })
            : kind === 'favorite'
              ? follow
                ? app.http().post(`/api/articles/${slug}/favorite`)
                : app.http().delete(`/api/articles/${slug}/favorite`)
              : follow
                ? app.http().post(`/api/profiles/${target}/follow`)
                : app.http().delete(`/api/profiles/${target}/follow`);
        const startedAt = Date.now();
        await request.set(authHeader(writer.token)).expect(kind === 'article' ? 201 : 200);
        if (startedAt >= runStart && Date.now() <= runEnd) writesDuringRun += 1;
      }
    };
    const loops = writers.map((_, w) => loop(w));
    await sleep(200);
    runStart = Date.now();
    const report = await one.app.get(ReconciliationService).run();
    runEnd = Date.now();
    stop = true;
    await Promise.all(loops);

    expect(report).not.toBeNull();
    expect(report!.usersScanned).toBe(129);
    expect(report!.metrics.followers!.removed).toBeGreaterThanOrEqual(1);
    // The run really overlapped writes (each was entirely inside the run).
    expect(writesDuringRun).toBeGreaterThanOrEqual(10);
    await expectRedisToMatchDb(one);
  }, 30_000);

  it('two runs started at once (two instances, over HTTP): exactly one runs, the other gets 409', async () => {
    const responses = await Promise.all(
      [one, two].map((app) =>
        app.http().post('/api/admin/reconciliation').set(authHeader(admin.token)),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([202, 409]);
    const conflict = responses.find((r) => r.status === 409)!;
    expect(conflict.body).toEqual({
      errors: { body: ['a reconciliation run is already in progress'] },
    });
    await waitUntilIdle(one);
    await expectRedisToMatchDb(one);
  });

  it('two job invocations at once (both instances): exactly one produces a report', async () => {
    const reports = await Promise.all(
      [one, two].map((app) => app.app.get(ReconciliationService).run()),
    );
    expect(reports.filter((report) => report !== null)).toHaveLength(1);
    expect(await one.redis.exists(keys.lock('reconciliation'))).toBe(0);
  });

  it("a crashed runner's lock blocks others only until its TTL expires", async () => {
    await one.redis.set(keys.lock('reconciliation'), 'crashed-runner', { PX: 1000 });
    expect(await one.app.get(ReconciliationService).run()).toBeNull();
    expect((await waitOrStatus(two)).running).toBe(true);
    await two.http().post('/api/admin/reconciliation').set(authHeader(admin.token)).expect(409);
    await sleep(1100);
    expect(await one.app.get(ReconciliationService).run()).not.toBeNull();
  });

  it('the lock is renewed while held and released only by its owner (compare-and-delete)', async () => {
    const locks = one.app.get(RedisLocks);
    const held = (await locks.tryAcquire('renewal-test', { ttlMs: 1000 }))!;
    expect(await locks.tryAcquire('renewal-test', { ttlMs: 1000 })).toBeNull();
    await sleep(1600);
    expect(held.lost).toBe(false);
    expect(await one.redis.pTTL(keys.lock('renewal-test'))).toBeGreaterThan(0);
    await held.release();
    expect(await one.redis.exists(keys.lock('renewal-test'))).toBe(0);

    const stolen = (await locks.tryAcquire('renewal-test', { ttlMs: 1000 }))!;
    await one.redis.set(keys.lock('renewal-test'), 'someone-else', { PX: 5000 });
    await stolen.release();
    expect(await one.redis.get(keys.lock('renewal-test'))).toBe('someone-else');
    await one.redis.del(keys.lock('renewal-test'));
  });

  it('a Redis lock lost mid-run (as a failover loses it) lets no second run start: Postgres holds the run', async () => {
    const service = one.app.get(ReconciliationService);
    const first = service.run();
    // Wait until the first run holds the lock, then lose the Redis key as a promoted replica would.
    for (let i = 0; i < 200 && (await one.redis.exists(keys.lock('reconciliation'))) === 0; i++)
      await sleep(5);
    await one.redis.del(keys.lock('reconciliation'));
    // The other instance passes the Redis pre-check, and Postgres turns it away.
    expect(await two.app.get(ReconciliationService).run()).toBeNull();
    expect(await first).not.toBeNull();
    // The loser gave its Redis key back: the next run starts.
    expect(await two.app.get(ReconciliationService).run()).not.toBeNull();
    await expectRedisToMatchDb(one);
  });

  it('a lock is lost when its Postgres session fails, and then no longer blocks others', async () => {
    const locks = one.app.get(RedisLocks);
    const held = (await locks.tryAcquire('session-test', { ttlMs: 600 }))!;
    const [{ pid }] = await one.db.query<{ pid: number }[]>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
       AND objid = (hashtextextended($1, 0) & x'ffffffff'::bigint)::oid LIMIT 1`,
      [keys.lock('session-test')],
    );
    await one.db.query('SELECT pg_terminate_backend($1)', [pid]);
    await sleep(500);
    expect(held.lost).toBe(true);
    await one.redis.del(keys.lock('session-test'));
    const next = (await locks.tryAcquire('session-test', { ttlMs: 600 }))!;
    expect(next).not.toBeNull();
    await next.release();
    await held.release();
  });

  async function waitOrStatus(app: TestApp): Promise<{ running: boolean }> {
    return (
      await app.http().get('/api/admin/reconciliation').set(authHeader(admin.token)).expect(200)
    ).body;
  }
});
