import { LocalTier } from '../src/cache/local-tier.js';
import { LiveLeaderboards } from '../src/counters/live-leaderboards.js';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service.js';
import { RedisKeys } from '../src/redis/keys.js';
import { PUBLIC_PROFILES_TAG } from '../src/users/user-directory.service.js';
import { authHeader, registerUser, userId, type RegisteredUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

interface Entry {
  rank: number;
  score: number;
  profile: { username: string; bio: string | null; image: string | null };
}

const ADMIN_EMAIL = 'pages-admin@example.com';
const PAGE = '/api/admin/leaderboards/followers?limit=100';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Rendered leaderboard pages are cached (both tiers) under the board's revision and the
 * public-profiles generation. Two instances, one Redis: after a write's response, the next page
 * read on either instance shows the write, never a page cached before it.
 */
describe('cached leaderboard pages across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: RegisteredUser;
  let star: RegisteredUser;
  let fans: RegisteredUser[];

  const follow = (on: TestApp, fan: RegisteredUser, target: RegisteredUser) =>
    on
      .http()
      .post(`/api/profiles/${target.username}/follow`)
      .set(authHeader(fan.token))
      .expect(200);
  const unfollow = (on: TestApp, fan: RegisteredUser, target: RegisteredUser) =>
    on
      .http()
      .delete(`/api/profiles/${target.username}/follow`)
      .set(authHeader(fan.token))
      .expect(200);
  const read = (on: TestApp) => on.http().get(PAGE).set(authHeader(admin.token)).expect(200);
  const entries = async (on: TestApp) => (await read(on)).body.entries as Entry[];
  const scoreOf = async (on: TestApp, user: RegisteredUser) =>
    (await entries(on)).find((entry) => entry.profile.username === user.username)?.score ?? 0;
  /** The key the instance caches the followers page under right now. */
  const pageKey = async (on: TestApp) => {
    const version = await on.app
      .get(LiveLeaderboards)
      .pageVersion('followers', [PUBLIC_PROFILES_TAG]);
    return on.app.get(RedisKeys).leaderboardPage('followers', version!, 0, 100);
  };
  /** Both instances hold the current page in their in-process tier. */
  const warmBoth = async () => {
    for (const on of [a, b]) {
      await read(on);
      await read(on);
      expect(on.app.get(LocalTier).get(await pageKey(on))).toBeDefined();
    }
  };

  beforeAll(async () => {
    a = await bootApp({ ADMIN_EMAILS: ADMIN_EMAIL });
    b = await bootApp({ ADMIN_EMAILS: ADMIN_EMAIL });
    await resetState(a);
    await until(() => a.app.get(LocalTier).active && b.app.get(LocalTier).active);
    admin = await registerUser(a, { email: ADMIN_EMAIL });
    star = await registerUser(a);
    fans = [];
    for (let i = 0; i < 4; i++) fans.push(await registerUser(a));
    await follow(a, fans[0], star);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('serves a warm page from the in-process tier as the JSON Fastify would have sent', async () => {
    await read(a);
    const key = await pageKey(a);
    const cached = a.app.get(LocalTier).get(key);
    expect(cached).toBeDefined();
    // Redis holds the same entry for the other instances.
    expect(await a.redis.get(key)).toBe(cached);
    // A hit costs no SQL but the admin role check, and the board is not read.
    const sql = await a.sqlDuring(async () => {
      const response = await read(a);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.text).toBe(JSON.stringify(response.body));
      expect(response.body).toEqual({
        metric: 'followers',
        limit: 100,
        offset: 0,
        total: 1,
        entries: [
          { rank: 1, score: 1, profile: { username: star.username, bio: null, image: null } },
        ],
      });
    });
    expect(sql).toBe(1);
  });

  it('a follow or unfollow answered by one instance is on the next page of both', async () => {
    let expected = await scoreOf(a, star);
    for (let round = 0; round < 6; round++) {
      await warmBoth();
      // Writes alternate between the instances; the read right after goes to the other one first.
      const [writer, other] = round % 2 === 0 ? [a, b] : [b, a];
      const fan = fans[1 + (round % 3)];
      const following = round < 3;
      if (following) await follow(writer, fan, star);
      else await unfollow(writer, fan, star);
      expected += following ? 1 : -1;
      expect(await scoreOf(other, star)).toBe(expected);
      expect(await scoreOf(writer, star)).toBe(expected);
    }
  });

  it('a rename or a new bio answered by one instance is on the next page of both', async () => {
    for (const [writer, other] of [
      [a, b],
      [b, a],
    ]) {
      await warmBoth();
      const username = `${star.username.slice(0, 20)}r${Date.now() % 100000}`;
      await writer
        .http()
        .put('/api/user')
        .set(authHeader(star.token))
        .send({ user: { username, bio: `bio of ${username}` } })
        .expect(200);
      star = { ...star, username };
      for (const on of [other, writer]) {
        const entry = (await entries(on)).find((e) => e.rank === 1);
        expect(entry?.profile).toEqual({ username, bio: `bio of ${username}`, image: null });
      }
    }
  });

  it('a reconciliation run that corrects drift is on the next page of both', async () => {
    await follow(a, fans[1], star);
    const before = await scoreOf(a, star);
    // Drift: a follow row removed behind the app's back; the board still counts it.
    await a.db.query(`DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2`, [
      await userId(a, fans[1].username),
      await userId(a, star.username),
    ]);
    await warmBoth();
    expect(await scoreOf(b, star)).toBe(before);
    const report = await a.app.get(ReconciliationService).run();
    expect(report?.metrics.followers).toMatchObject({ changed: 1 });
    expect(await scoreOf(b, star)).toBe(before - 1);
    expect(await scoreOf(a, star)).toBe(before - 1);
  });
});
