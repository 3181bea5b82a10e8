import { authHeader, registerUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** Nothing listens on port 1: every Redis command fails at once. */
const DEAD_REDIS = 'redis://127.0.0.1:1/0';

describe('stats with Redis unreachable', () => {
  let healthy: TestApp;
  let degraded: TestApp;

  beforeAll(async () => {
    healthy = await bootApp({ ADMIN_EMAILS: 'down-admin@example.com' });
    await resetState(healthy);
    degraded = await bootApp({
      REDIS_URL: DEAD_REDIS,
      REDIS_CONNECT_TIMEOUT_MS: '200',
      ADMIN_EMAILS: 'down-admin@example.com',
    });
  });
  afterAll(async () => {
    await degraded.close();
    await healthy.close();
  });

  it('authenticated requests still succeed; the failed presence write is only counted', async () => {
    const user = await registerUser(healthy);
    await degraded.http().get('/api/user').set(authHeader(user.token)).expect(200);
    // The write is fire-and-forget: its failure is counted a moment after the response.
    const counted = /redis_errors_total\{operation="online.mark"\} [1-9]/;
    let metrics = '';
    for (let i = 0; i < 50 && !counted.test(metrics); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      metrics = (await degraded.http().get('/metrics').expect(200)).text;
    }
    expect(metrics).toMatch(counted);
  });

  it('per-user stats fall back to Postgres', async () => {
    const [a, b] = [await registerUser(healthy), await registerUser(healthy)];
    await healthy
      .http()
      .post(`/api/profiles/${b.username}/follow`)
      .set(authHeader(a.token))
      .expect(200);
    const stats = await degraded.http().get(`/api/profiles/${b.username}/stats`).expect(200);
    expect(stats.body.stats).toMatchObject({ followers: 1, following: 0, articles: 0 });
  });

  it('online count, leaderboards and reconciliation answer 503 (they live in Redis)', async () => {
    const admin = await registerUser(healthy, { email: 'down-admin@example.com' });
    const online = await degraded.http().get('/api/stats/online').expect(503);
    expect(online.body).toEqual({ errors: { body: ['online users are unavailable right now'] } });
    const headers = authHeader(admin.token);
    await degraded.http().get('/api/admin/leaderboards/followers').set(headers).expect(503);
    await degraded.http().get('/api/admin/reconciliation').set(headers).expect(503);
    await degraded.http().post('/api/admin/reconciliation').set(headers).expect(503);
  });
});
