import { authHeader, registerUser } from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { proxiedTestRedis, type TcpProxy } from './support/tcp-proxy.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** Nothing listens on port 1: every Redis command fails at once. */
const DEAD_REDIS = 'redis://127.0.0.1:1/0';

describe('with Redis unreachable the app still serves from Postgres', () => {
  let healthy: TestApp;
  let degraded: TestApp;

  beforeAll(async () => {
    healthy = await bootApp();
    await resetState(healthy);
    degraded = await bootApp({ REDIS_URL: DEAD_REDIS, REDIS_CONNECT_TIMEOUT_MS: '200' });
  });
  afterAll(async () => {
    await degraded.close();
    await healthy.close();
  });

  it('boots, and /health reports Redis as degraded while the app stays up (200)', async () => {
    const response = await degraded.http().get('/health').expect(200);
    expect(response.body.info.postgres.status).toBe('up');
    expect(response.body.info.redis.status).toBe('degraded');
  });

  it('registers, logs in and authenticates against Postgres alone', async () => {
    const user = await registerUser(degraded);
    const login = await degraded
      .http()
      .post('/api/users/login')
      .send({ user: { email: user.email, password: user.password } })
      .expect(200);
    const me = await degraded
      .http()
      .get('/api/user')
      .set(authHeader(login.body.user.token))
      .expect(200);
    expect(me.body.user.username).toBe(user.username);
  });

  it('serves profiles (and 404s) from Postgres, counting the bypass in /metrics', async () => {
    const user = await registerUser(healthy);
    const response = await degraded.http().get(`/api/profiles/${user.username}`).expect(200);
    expect(response.body.profile).toMatchObject({
      username: user.username,
      bio: null,
      image: null,
      following: false,
      followersCount: 0,
    });
    await degraded.http().get('/api/profiles/nobody-here').expect(404);
    const sql = await degraded.sqlDuring(() =>
      degraded.http().get(`/api/profiles/${user.username}`).expect(200),
    );
    expect(sql).toBeGreaterThanOrEqual(2); // every read goes to Postgres
    const metrics = await degraded.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/cache_requests_total\{cache="profile",outcome="bypass"\} [1-9]/);
  });

  it('answers empty pages to a signed-in reader: an empty feed, a list nothing matches', async () => {
    const reader = await registerUser(degraded);
    const feed = await degraded
      .http()
      .get('/api/articles/feed')
      .set(authHeader(reader.token))
      .expect(200);
    expect(feed.body).toEqual({ articles: [], articlesCount: 0 });
    const list = await degraded
      .http()
      .get('/api/articles?author=nobody-wrote-this')
      .set(authHeader(reader.token))
      .expect(200);
    expect(list.body).toEqual({ articles: [], articlesCount: 0 });
  });

  it('still enforces logout: a revoked token is refused although no cache can say so', async () => {
    const user = await registerUser(degraded);
    await degraded.http().post('/api/users/logout').set(authHeader(user.token)).expect(204);
    await degraded.http().get('/api/user').set(authHeader(user.token)).expect(401);
  });
});

describe('a Redis outage in the middle of traffic', () => {
  let steady: TestApp;
  let flaky: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    steady = await bootApp();
    await resetState(steady);
    let redisUrl: string;
    ({ proxy, redisUrl } = await proxiedTestRedis());
    flaky = await bootApp({ REDIS_URL: redisUrl });
  });
  afterAll(async () => {
    await proxy.cut();
    await flaky.close();
    await steady.close();
  });

  it('reads keep working during the outage, and the invalidation lands through another instance', async () => {
    const user = await registerUser(flaky);
    await steady.http().get(`/api/profiles/${user.username}`).expect(200); // cached, bio null

    await proxy.cut();
    const updated = await flaky
      .http()
      .put('/api/user')
      .set(authHeader(user.token))
      .send({ user: { bio: 'written during the outage' } })
      .expect(200);
    expect(updated.body.user.bio).toBe('written during the outage');
    // The instance that lost Redis answers from Postgres, so it shows the write at once.
    const during = await flaky.http().get(`/api/profiles/${user.username}`).expect(200);
    expect(during.body.profile.bio).toBe('written during the outage');
    // Its DEL could not reach Redis, but the write's outbox row could: the writer notified every
    // relay, and the healthy instance's relay deleted the entry while the outage goes on.
    expect(
      await pollUntil(
        () => bioOn(steady, user.username),
        (bio) => bio !== null,
        5000,
      ),
    ).toBe('written during the outage');
    expect(await flaky.db.query(`SELECT id FROM cache_outbox`)).toEqual([]);
    await proxy.restore();
  });
});

async function bioOn(app: TestApp, username: string): Promise<unknown> {
  return (await app.http().get(`/api/profiles/${username}`).expect(200)).body.profile.bio;
}
