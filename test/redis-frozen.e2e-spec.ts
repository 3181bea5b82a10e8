import { performance } from 'node:perf_hooks';
import type { Response } from 'supertest';
import { RouteTimer } from './support/route-timer.js';
import {
  authHeader,
  createArticle,
  registerUser,
  type RegisteredUser,
} from './support/factories.js';
import { RedisServerProcess } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const TIMEOUT_MS = 200;
/**
 * "About 2 x REDIS_COMMAND_TIMEOUT_MS plus the route's own Postgres time": the Postgres part of
 * these routes is a few ms to ~100 ms (an argon2 hash for login), so 2 x 200 ms + 1 s is generous
 * and still far below what a frozen Redis used to cost (the whole freeze).
 */
const BOUND_MS = 2 * TIMEOUT_MS + 1000;
/** The breaker stays open 1 s; waiting this long makes the next request carry its trial call. */
const BREAKER_OPEN_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Redis that stops answering (SIGSTOP: TCP stays open, nothing replies; what a long fork, a
 * swapping host or a paused VM looks like) must cost each request at most about two command
 * timeouts: every Redis call goes through the gateway's time bound and shared circuit breaker.
 */
describe('a frozen Redis (SIGSTOP)', () => {
  const server = new RedisServerProcess();
  let app: TestApp;
  let author: RegisteredUser;
  let reader: RegisteredUser;
  let slug: string;
  const timer = new RouteTimer(BOUND_MS);
  const timed = timer.timed.bind(timer);

  beforeAll(async () => {
    await server.start();
    app = await bootApp({ REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS) });
    await resetState(app);
    author = await registerUser(app);
    reader = await registerUser(app);
    slug = await createArticle(app, author.token, { title: 'Frozen', tagList: ['frozen-tag'] });
    // Warm every cache the routes below use, so they would be served from Redis.
    await app.http().get('/api/tags').expect(200);
    await app.http().get('/api/articles?limit=3').set(authHeader(reader.token)).expect(200);
    await app.http().get(`/api/articles/${slug}`).expect(200);
    await app.http().get(`/api/profiles/${author.username}`).expect(200);
    await app.http().get('/api/user').set(authHeader(reader.token)).expect(200);
  });

  afterAll(async () => {
    server.thaw();
    await app?.close().catch(() => undefined);
    await server.kill();
    timer.printIfAsked();
  });

  it('every route answers within ~2 x REDIS_COMMAND_TIMEOUT_MS, with the data from Postgres', async () => {
    server.freeze();
    const reader$ = authHeader(reader.token);
    const author$ = authHeader(author.token);
    // Each route is sent as the first request once the breaker lets a trial through: the worst
    // case, in which the route itself waits for a Redis timeout.
    const worstCase = async (name: string, send: () => Promise<Response>) => {
      await sleep(BREAKER_OPEN_MS + 50);
      return timed(name, send);
    };

    const health = await worstCase('GET /health', () => app.http().get('/health'));
    expect(health.status).toBe(200);
    expect(health.body.info.redis.status).toBe('degraded');

    const tags = await worstCase('GET /api/tags', () => app.http().get('/api/tags'));
    expect(tags.status).toBe(200);
    expect(tags.body.tags).toContain('frozen-tag');

    const list = await worstCase('GET /api/articles?limit=3', () =>
      app.http().get('/api/articles?limit=3').set(reader$),
    );
    expect(list.status).toBe(200);
    expect(list.body.articles.map((a: { slug: string }) => a.slug)).toEqual([slug]);

    const online = await worstCase('GET /api/stats/online', () =>
      app.http().get('/api/stats/online'),
    );
    // Presence lives only in Redis: a prompt 503, not a hang.
    expect(online.status).toBe(503);

    const update = await worstCase('PUT /api/user', () =>
      app
        .http()
        .put('/api/user')
        .set(reader$)
        .send({ user: { bio: 'written while frozen' } }),
    );
    expect(update.status).toBe(200);
    expect(update.body.user.bio).toBe('written while frozen');

    const follow = await worstCase('POST /api/profiles/:username/follow', () =>
      app.http().post(`/api/profiles/${author.username}/follow`).set(reader$),
    );
    expect(follow.status).toBe(200);
    expect(follow.body.profile).toMatchObject({ following: true, followersCount: 1 });

    const favorite = await worstCase('POST /api/articles/:slug/favorite', () =>
      app.http().post(`/api/articles/${slug}/favorite`).set(reader$),
    );
    expect(favorite.status).toBe(200);
    expect(favorite.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });

    // A sample of the other routes.
    const profile = await worstCase('GET /api/profiles/:username', () =>
      app.http().get(`/api/profiles/${reader.username}`).set(author$),
    );
    expect(profile.status).toBe(200);
    expect(profile.body.profile).toMatchObject({ bio: 'written while frozen', followingCount: 1 });

    const article = await worstCase('GET /api/articles/:slug', () =>
      app.http().get(`/api/articles/${slug}`).set(reader$),
    );
    expect(article.status).toBe(200);
    expect(article.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });

    const feed = await worstCase('GET /api/articles/feed', () =>
      app.http().get('/api/articles/feed').set(reader$),
    );
    expect(feed.status).toBe(200);
    expect(feed.body.articles.map((a: { slug: string }) => a.slug)).toEqual([slug]);

    const followers = await worstCase('GET /api/profiles/:username/followers', () =>
      app.http().get(`/api/profiles/${author.username}/followers`),
    );
    expect(followers.status).toBe(200);
    expect(followers.body.profiles.map((p: { username: string }) => p.username)).toEqual([
      reader.username,
    ]);

    const me = await worstCase('GET /api/user', () => app.http().get('/api/user').set(reader$));
    expect(me.status).toBe(200);

    const login = await worstCase('POST /api/users/login', () =>
      app
        .http()
        .post('/api/users/login')
        .send({ user: { email: author.email, password: author.password } }),
    );
    expect(login.status).toBe(200);

    const created = await worstCase('POST /api/articles', () =>
      app
        .http()
        .post('/api/articles')
        .set(author$)
        .send({ article: { title: 'Written frozen', description: 'd', body: 'b' } }),
    );
    expect(created.status).toBe(201);

    const comment = await worstCase('POST /api/articles/:slug/comments', () =>
      app
        .http()
        .post(`/api/articles/${slug}/comments`)
        .set(reader$)
        .send({ comment: { body: 'cold in here' } }),
    );
    expect(comment.status).toBe(200);
  });

  it('a burst of concurrent requests during the freeze all answer within the bound', async () => {
    await sleep(BREAKER_OPEN_MS + 50);
    const reader$ = authHeader(reader.token);
    const sends = Array.from({ length: 30 }, (_, i) => {
      const route = [
        () => app.http().get('/api/tags'),
        () => app.http().get('/api/articles?limit=3').set(reader$),
        () => app.http().get(`/api/profiles/${author.username}`).set(reader$),
        () => app.http().get(`/api/articles/${slug}`),
        () => app.http().get('/health'),
      ][i % 5];
      return timed(`burst #${i}`, route);
    });
    const responses = await Promise.all(sends);
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
  });

  it('after SIGCONT Redis serves again and shows every write made during the freeze', async () => {
    server.thaw();
    // The next trial closes the breaker; deferred invalidations are replayed then.
    let health: Response | undefined;
    for (let i = 0; i < 40; i++) {
      health = await app.http().get('/health');
      if (health.body.info?.redis?.status === 'up') break;
      await sleep(100);
    }
    expect(health!.body.info.redis.status).toBe('up');
    await sleep(200); // the replayed invalidations are fire-and-forget
    const reader$ = authHeader(reader.token);
    const profile = await app.http().get(`/api/profiles/${author.username}`).set(reader$);
    expect(profile.body.profile).toMatchObject({ following: true, followersCount: 1 });
    const me = await app.http().get(`/api/profiles/${reader.username}`).expect(200);
    expect(me.body.profile).toMatchObject({ bio: 'written while frozen', followingCount: 1 });
    const article = await app.http().get(`/api/articles/${slug}`).set(reader$).expect(200);
    expect(article.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });
    // Served from the caches again: a later read of the profile issues no SQL. The counter is
    // process-wide, so one statement of background work (outbox relay, data-loss check) may land
    // in a window: some read among five must cost none.
    await app.http().get(`/api/profiles/${reader.username}`).expect(200);
    const sql: number[] = [];
    for (let i = 0; i < 5 && !sql.includes(0); i++) {
      sql.push(
        await app.sqlDuring(() => app.http().get(`/api/profiles/${reader.username}`).expect(200)),
      );
    }
    expect(sql).toContain(0);
  });

  it('app.close() does not hang on a frozen Redis', async () => {
    server.freeze();
    await timed('GET /api/tags (before close)', () => app.http().get('/api/tags'));
    const started = performance.now();
    await app.close();
    // RedisConnection gives close() one second, then destroys the socket.
    expect(performance.now() - started).toBeLessThan(3000);
    server.thaw();
  });
});

/**
 * A reconnect to a frozen server: the TCP connect succeeds (the kernel accepts it) but the
 * handshake never completes. Requests must not queue behind it.
 */
describe('reconnecting to a frozen Redis', () => {
  const server = new RedisServerProcess();
  let proxy: TcpProxy;
  let app: TestApp;

  beforeAll(async () => {
    await server.start();
    proxy = new TcpProxy('127.0.0.1', server.port);
    const port = await proxy.start();
    app = await bootApp({
      REDIS_URL: `redis://127.0.0.1:${port}/0`,
      REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    await resetState(app);
  });

  afterAll(async () => {
    server.thaw();
    await app?.close().catch(() => undefined);
    await proxy.cut();
    await server.kill();
  });

  it('answers at once while the handshake hangs, and is back after SIGCONT', async () => {
    const user = await registerUser(app);
    await app.http().get(`/api/profiles/${user.username}`).expect(200);
    server.freeze();
    await proxy.cut();
    await proxy.restore(); // the client reconnects into the frozen server
    await sleep(500);
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await app.http().get(`/api/profiles/${user.username}`).expect(200);
      await app.http().get('/api/tags').expect(200);
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
    }
    server.thaw();
    let status = '';
    for (let i = 0; i < 100 && status !== 'up'; i++) {
      await sleep(100);
      status = (await app.http().get('/health')).body.info?.redis?.status;
    }
    expect(status).toBe('up');
    // Back on the cache within moments: the health probe can see Redis before the breaker's open
    // second has ended, so a read right after it may still go to Postgres (seen once in CI on a
    // loaded machine). Polled, bounded: a cache that never comes back still fails.
    let sql = -1;
    for (let i = 0; i < 30 && sql !== 0; i++) {
      if (i > 0) await sleep(100);
      await app.http().get(`/api/profiles/${user.username}`).expect(200);
      sql = await app.sqlDuring(() => app.http().get(`/api/profiles/${user.username}`).expect(200));
    }
    expect(sql).toBe(0);
  });
});
