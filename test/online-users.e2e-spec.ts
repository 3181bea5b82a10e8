import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, registerUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('online users (GET /api/stats/online)', () => {
  let t: TestApp;
  let keys: RedisKeys;

  beforeAll(async () => {
    // A short window so expiry can be observed; no throttle so every request writes.
    t = await bootApp({ ONLINE_WINDOW_SECONDS: '2', ONLINE_MARK_INTERVAL_SECONDS: '0' });
    keys = t.app.get(RedisKeys);
    await resetState(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const online = async () => (await t.http().get('/api/stats/online').expect(200)).body;

  it('counts distinct authenticated users within the window, then lets them expire', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    expect(await online()).toEqual({ online: 0, windowSeconds: 2 });

    await t.http().get('/api/user').set(authHeader(a.token)).expect(200);
    await t.http().get('/api/user').set(authHeader(a.token)).expect(200);
    await t.http().get('/api/user').set(authHeader(b.token)).expect(200);
    await t.http().get(`/api/profiles/${a.username}`).expect(200); // anonymous: not counted
    await t.http().get('/api/user').set(authHeader('not-a-token')).expect(401); // not counted
    expect(await online()).toEqual({ online: 2, windowSeconds: 2 });

    await sleep(1200);
    await t.http().get('/api/user').set(authHeader(b.token)).expect(200);
    await sleep(1000);
    // a was last seen 2.2 s ago (outside the window), b 1 s ago.
    expect(await online()).toEqual({ online: 1, windowSeconds: 2 });
    // Expired entries are trimmed, not just ignored: the zset does not grow without bound.
    const members = await t.redis.zRange(keys.onlineUsers(), 0, -1);
    expect(members).toHaveLength(1);

    await sleep(2100);
    expect(await online()).toEqual({ online: 0, windowSeconds: 2 });
    expect(await t.redis.exists(keys.onlineUsers())).toBe(0);
  });

  it('writes a user at most once per ONLINE_MARK_INTERVAL_SECONDS per instance', async () => {
    const throttled = await bootApp({
      ONLINE_WINDOW_SECONDS: '300',
      ONLINE_MARK_INTERVAL_SECONDS: '60',
    });
    try {
      const user = await registerUser(throttled);
      const id = String(
        (await t.db.query(`SELECT id FROM users WHERE email = $1`, [user.email]))[0].id,
      );
      await throttled.http().get('/api/user').set(authHeader(user.token)).expect(200);
      const first = await throttled.redis.zScore(keys.onlineUsers(), id);
      expect(first).not.toBeNull();
      await sleep(20);
      for (let i = 0; i < 5; i++) {
        await throttled.http().get('/api/user').set(authHeader(user.token)).expect(200);
      }
      expect(await throttled.redis.zScore(keys.onlineUsers(), id)).toBe(first);
      expect((await throttled.http().get('/api/stats/online').expect(200)).body).toEqual({
        online: 1,
        windowSeconds: 300,
      });
    } finally {
      await throttled.close();
    }
  });
});
