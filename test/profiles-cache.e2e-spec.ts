import { CacheAsideService } from '../src/cache/cache-aside.service.js';
import { OutboxService } from '../src/outbox/outbox.service.js';
import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, registerUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const HOUR_MS = 3_600_000;

describe('cached profiles (GET /api/profiles/:username)', () => {
  let t: TestApp;
  let keys: RedisKeys;

  beforeAll(async () => {
    t = await bootApp();
    keys = t.app.get(RedisKeys);
    await resetState(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the RealWorld profile envelope, anonymously and with a token', async () => {
    const celeb = await registerUser(t);
    const fan = await registerUser(t);
    const expected = {
      profile: {
        username: celeb.username,
        bio: null,
        image: null,
        following: false,
        followersCount: 0,
        followingCount: 0,
        articlesCount: 0,
        favoritesReceivedCount: 0,
      },
    };
    const anonymous = await t.http().get(`/api/profiles/${celeb.username}`).expect(200);
    expect(anonymous.body).toEqual(expected);
    const viewed = await t
      .http()
      .get(`/api/profiles/${celeb.username}`)
      .set(authHeader(fan.token))
      .expect(200);
    expect(viewed.body).toEqual(expected);
  });

  it('fills the cache on a miss and serves the next read with no SQL at all', async () => {
    const user = await registerUser(t);
    const fill = await t.sqlDuring(() =>
      t.http().get(`/api/profiles/${user.username}`).expect(200),
    );
    expect(fill).toBeGreaterThanOrEqual(2); // username -> id, the profile row, the counts
    const hit = await t.sqlDuring(() => t.http().get(`/api/profiles/${user.username}`).expect(200));
    expect(hit).toBe(0);
    const id = Number(await t.redis.get(keys.userIdByName(user.username)));
    const cached = JSON.parse((await t.redis.get(keys.userProfile(id)))!);
    expect(cached).toEqual({ id, username: user.username, bio: null, image: null });
  });

  it('stores entries with TTL = 2 h + up to 10 min of jitter', async () => {
    const user = await registerUser(t);
    await t.http().get(`/api/profiles/${user.username}`).expect(200);
    const id = Number(await t.redis.get(keys.userIdByName(user.username)));
    const ttl = await t.redis.pTTL(keys.userProfile(id));
    expect(ttl).toBeGreaterThan(2 * HOUR_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(2 * HOUR_MS + 10 * 60_000);
  });

  it('caches an unknown user as a negative entry: 404 again without touching Postgres', async () => {
    const first = await t.sqlDuring(() => t.http().get('/api/profiles/ghost').expect(404));
    expect(first).toBe(1);
    const again = await t.sqlDuring(async () => {
      const response = await t.http().get('/api/profiles/ghost').expect(404);
      expect(response.body).toEqual({ errors: { body: ['profile not found'] } });
    });
    expect(again).toBe(0);
    const ttl = await t.redis.pTTL(keys.userIdByName('ghost'));
    expect(ttl).toBeGreaterThan(5 * 60_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(6 * 60_000);
  });

  it('a name cached as unknown becomes visible as soon as someone registers it', async () => {
    await t.http().get('/api/profiles/latecomer').expect(404);
    await registerUser(t, { username: 'latecomer' });
    await t.http().get('/api/profiles/latecomer').expect(200);
  });

  it('PUT /api/user invalidates the cached profile: the next read shows the change', async () => {
    const user = await registerUser(t);
    await t.http().get(`/api/profiles/${user.username}`).expect(200);
    await t
      .http()
      .put('/api/user')
      .set(authHeader(user.token))
      .send({ user: { bio: 'updated bio', image: 'https://example.com/a.png' } })
      .expect(200);
    const response = await t.http().get(`/api/profiles/${user.username}`).expect(200);
    expect(response.body.profile).toMatchObject({
      bio: 'updated bio',
      image: 'https://example.com/a.png',
    });
  });

  it('a rename invalidates both names: the old one 404s, the new one (cached as unknown) resolves', async () => {
    const user = await registerUser(t);
    const newName = `${user.username}-renamed`;
    await t.http().get(`/api/profiles/${user.username}`).expect(200);
    await t.http().get(`/api/profiles/${newName}`).expect(404); // now cached as unknown
    await t
      .http()
      .put('/api/user')
      .set(authHeader(user.token))
      .send({ user: { username: newName } })
      .expect(200);
    await t.http().get(`/api/profiles/${user.username}`).expect(404);
    const renamed = await t.http().get(`/api/profiles/${newName}`).expect(200);
    expect(renamed.body.profile.username).toBe(newName);
  });

  /** SQL statements one cold profile read costs (name, profile, counts), measured on a fresh user. */
  async function coldReadCost(): Promise<number> {
    const user = await registerUser(t);
    return t.sqlDuring(() => t.http().get(`/api/profiles/${user.username}`).expect(200));
  }

  it('concurrent misses for one profile in one process cost what one miss costs (single-flight)', async () => {
    const oneRead = await coldReadCost();
    const user = await registerUser(t);
    const sql = await t.sqlDuring(() =>
      Promise.all(
        Array.from({ length: 25 }, () =>
          t.http().get(`/api/profiles/${user.username}`).expect(200),
        ),
      ),
    );
    expect(sql).toBe(oneRead);
  });

  it("a second instance waits for the first one's fill instead of querying too (lease)", async () => {
    const oneRead = await coldReadCost();
    const other = await bootApp();
    try {
      const user = await registerUser(t);
      await t.app.get(OutboxService).settled(); // the registration's row is deleted in background
      const sqlHere = t.metrics.queriesIssued;
      const sqlThere = other.metrics.queriesIssued;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : t).http().get(`/api/profiles/${user.username}`).expect(200),
        ),
      );
      const total = t.metrics.queriesIssued - sqlHere + (other.metrics.queriesIssued - sqlThere);
      // The profile and username entries are filled once for both instances (leases); the count
      // hash is filled under a Postgres lock, so the second instance re-checks Redis and stops.
      expect(total).toBeLessThanOrEqual(oneRead + 2);
    } finally {
      await other.close();
    }
  });

  it('a fill that raced an invalidation does not write the stale value back', async () => {
    const cache = t.app.get(CacheAsideService);
    const key = keys.userProfile(999_999);
    const policy = cache.policy('race-test');
    let releaseLoad!: (value: { v: string }) => void;
    const loading = cache.get(
      key,
      () => new Promise<{ v: string }>((r) => (releaseLoad = r)),
      policy,
    );
    await new Promise((resolve) => setTimeout(resolve, 20)); // the load has started, lease held
    await cache.invalidate(key); // a write committed meanwhile
    releaseLoad({ v: 'stale' });
    expect(await loading).toEqual({ v: 'stale' }); // this caller still gets its answer...
    expect(await t.redis.get(key)).toBeNull(); // ...but the cache does not keep it
    const fresh = await cache.get(key, () => Promise.resolve({ v: 'fresh' }), policy);
    expect(fresh).toEqual({ v: 'fresh' });
    expect(JSON.parse((await t.redis.get(key))!)).toEqual({ v: 'fresh' });
  });

  it('counts hits, misses and negative hits in /metrics', async () => {
    const response = await t.http().get('/metrics').expect(200);
    // A repeated read is answered by the in-process tier (local_hit) or by Redis (hit).
    expect(response.text).toMatch(
      /cache_requests_total\{cache="profile",outcome="(local_)?hit"\} [1-9]/,
    );
    expect(response.text).toMatch(/local_cache_bytes [1-9]/);
    expect(response.text).toMatch(/local_cache_active 1/);
    expect(response.text).toMatch(/cache_requests_total\{cache="profile",outcome="miss"\} [1-9]/);
    expect(response.text).toMatch(
      /cache_requests_total\{cache="username",outcome="(local_)?negative_hit"\} [1-9]/,
    );
    expect(response.text).toMatch(/process_cpu_seconds_total/);
    expect(response.text).toMatch(/db_queries_total\{origin="request"\} [1-9]/);
  });
});
