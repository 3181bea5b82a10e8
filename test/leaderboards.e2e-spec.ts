import { PostgresNotifications } from '../src/database/postgres-notifications.js';
import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

interface Entry {
  rank: number;
  score: number;
  profile: { username: string; bio: string | null; image: string | null };
}

describe('leaderboards (admin) and per-user stats (public)', () => {
  let t: TestApp;
  let keys: RedisKeys;
  let admin: RegisteredUser;
  let users: RegisteredUser[];

  const follow = (viewer: RegisteredUser, target: RegisteredUser) =>
    t
      .http()
      .post(`/api/profiles/${target.username}/follow`)
      .set(authHeader(viewer.token))
      .expect(200);
  const unfollow = (viewer: RegisteredUser, target: RegisteredUser) =>
    t
      .http()
      .delete(`/api/profiles/${target.username}/follow`)
      .set(authHeader(viewer.token))
      .expect(200);
  const board = async (metric: string, query = '') =>
    (
      await t
        .http()
        .get(`/api/admin/leaderboards/${metric}${query}`)
        .set(authHeader(admin.token))
        .expect(200)
    ).body as { total: number; limit: number; offset: number; entries: Entry[] };

  /** The DB's truth for a follow metric: username -> count, users with a zero count left out. */
  const dbCounts = async (metric: 'followers' | 'following'): Promise<Map<string, number>> => {
    const column = metric === 'followers' ? 'followee_id' : 'follower_id';
    const rows: { username: string; n: number }[] = await t.db.query(
      `SELECT u.username, count(*)::int AS n FROM follows f JOIN users u ON u.id = f.${column}
       GROUP BY u.username`,
    );
    return new Map(rows.map((row) => [row.username, row.n]));
  };

  beforeAll(async () => {
    t = await bootApp({ ADMIN_EMAILS: 'lb-admin@example.com' });
    keys = t.app.get(RedisKeys);
    await resetState(t);
    admin = await registerUser(t, { email: 'lb-admin@example.com' });
    users = [];
    for (let i = 0; i < 6; i++) users.push(await registerUser(t));
    const [a, b, c, d, e, f] = users;
    // Scripted scenario: a is followed by 4, b by 3 (one unfollow on the way), c and d by 2, e by 1.
    for (const fan of [b, c, d, e]) await follow(fan, a);
    for (const fan of [a, c, d, f]) await follow(fan, b);
    await unfollow(f, b);
    for (const fan of [a, b]) await follow(fan, c);
    for (const fan of [e, f]) await follow(fan, d);
    await follow(a, e);
    await follow(admin, a);
    await unfollow(admin, a);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 401 without a token and 403 for a non-admin', async () => {
    const none = await t.http().get('/api/admin/leaderboards/followers').expect(401);
    expect(none.body).toEqual({ errors: { body: ['missing authorization token'] } });
    await t
      .http()
      .get('/api/admin/leaderboards/followers')
      .set(authHeader('bad.token.here'))
      .expect(401);
    const forbidden = await t
      .http()
      .get('/api/admin/leaderboards/followers')
      .set(authHeader(users[0].token))
      .expect(403);
    expect(forbidden.body).toEqual({ errors: { body: ['admin role required'] } });
  });

  it('matches the database after the scenario, for both follow metrics', async () => {
    for (const metric of ['followers', 'following'] as const) {
      const result = await board(metric, '?limit=100');
      const fromBoard = new Map(result.entries.map((e) => [e.profile.username, e.score]));
      expect(fromBoard).toEqual(await dbCounts(metric));
      expect(result.entries.map((e) => e.rank)).toEqual(result.entries.map((_, i) => i + 1));
    }
    const followers = await board('followers');
    expect(followers.limit).toBe(10);
    expect(followers.offset).toBe(0);
    expect(followers.entries.slice(0, 2)).toEqual([
      { rank: 1, score: 4, profile: { username: users[0].username, bio: null, image: null } },
      { rank: 2, score: 3, profile: { username: users[1].username, bio: null, image: null } },
    ]);
  });

  it('pages with limit/offset, ordering ties deterministically', async () => {
    const all = (await board('followers', '?limit=100')).entries;
    const pages: Entry[] = [];
    for (let offset = 0; offset < all.length; offset += 2) {
      pages.push(...(await board('followers', `?limit=2&offset=${offset}`)).entries);
    }
    expect(pages).toEqual(all);
    expect((await board('followers', '?limit=100')).entries).toEqual(all);
    // c and d are tied at 2: equal scores are ordered by member (user id as a string) descending.
    const tied = all.filter((e) => e.score === 2);
    expect(tied).toHaveLength(2);
    const ids = await Promise.all(
      tied.map(async (e) => {
        const rows = await t.db.query(`SELECT id FROM users WHERE username = $1`, [
          e.profile.username,
        ]);
        return String(rows[0].id);
      }),
    );
    expect([...ids].sort().reverse()).toEqual(ids);
    expect((await board('followers', '?offset=1000')).entries).toEqual([]);
  });

  it('serves a warm page from the page cache and the remembered role: no SQL', async () => {
    await board('followers', '?limit=100'); // renders and caches the page, reads the role
    // The role is remembered only once the instance listens for role changes (connects async).
    const listening = () => Promise.resolve(t.app.get(PostgresNotifications).isListening());
    expect(await pollUntil(listening, Boolean, 5000)).toBe(true);
    await board('followers', '?limit=100'); // reads the role again, now remembered
    const sql = await t.sqlDuring(() => board('followers', '?limit=100'));
    expect(sql).toBe(0);
  });

  it('accepts metrics nobody feeds yet (empty board) and rejects unknown ones', async () => {
    for (const metric of ['articles', 'likes', 'views']) {
      expect(await board(metric)).toEqual({ metric, limit: 10, offset: 0, total: 0, entries: [] });
    }
    const unknown = await t
      .http()
      .get('/api/admin/leaderboards/karma')
      .set(authHeader(admin.token))
      .expect(422);
    expect(Object.keys(unknown.body.errors)).toEqual(['metric']);
    for (const query of ['?limit=0', '?limit=101', '?offset=-1', '?limit=abc']) {
      await t
        .http()
        .get(`/api/admin/leaderboards/followers${query}`)
        .set(authHeader(admin.token))
        .expect(422);
    }
  });

  it('GET /api/profiles/:username/stats: all counts, from Redis or (when missing) Postgres', async () => {
    const expected = {
      username: users[0].username,
      articles: 0,
      followers: 4,
      following: 3,
      likes: 0,
      views: 0,
    };
    const first = await t.http().get(`/api/profiles/${users[0].username}/stats`).expect(200);
    expect(first.body).toEqual({ stats: expected });
    const id = Number(
      (await t.db.query(`SELECT id FROM users WHERE username = $1`, [users[0].username]))[0].id,
    );
    await t.redis.del(keys.userCounts(id));
    const fallback = await t.http().get(`/api/profiles/${users[0].username}/stats`).expect(200);
    expect(fallback.body).toEqual({ stats: expected });
    expect(await t.redis.hGet(keys.userCounts(id), 'followers')).toBe('4');
    await t.http().get('/api/profiles/nobody-here/stats').expect(404);
  });

  it('leaderboardIncr: dual-writes the staging board only while it exists, drops zero scores', async () => {
    const live = keys.leaderboard('views');
    const next = keys.leaderboardNext('views');
    const built = keys.leaderboardBuilt('views');
    const rev = keys.leaderboardRevision('views');
    const before = Number((await t.redis.get(rev)) ?? 0);
    expect(await t.redis.leaderboardIncr(live, next, built, rev, 2, '900')).toBe(0);
    expect(await t.redis.exists(next)).toBe(0);
    // Every change of the live board moves its revision (pages cached under the old one orphaned).
    const after = Number(await t.redis.get(rev));
    expect(after).toBeGreaterThan(before);
    await t.redis.zAdd(next, { score: 0, value: '#' });
    expect(await t.redis.leaderboardIncr(live, next, built, rev, 3, '900')).toBe(1);
    expect(await t.redis.zScore(live, '900')).toBe(5);
    expect(await t.redis.zScore(next, '900')).toBe(3);
    await t.redis.leaderboardIncr(live, next, built, rev, -3, '900');
    expect(await t.redis.zScore(next, '900')).toBeNull();
    await t.redis.leaderboardIncr(live, next, built, rev, -2, '900');
    expect(await t.redis.exists(live)).toBe(0);
    await t.redis.del(next);
  });

  it('leaderboardIncr: never drives a score below zero, and leaves an unbuilt board alone', async () => {
    const live = keys.leaderboard('views');
    const next = keys.leaderboardNext('views');
    const built = keys.leaderboardBuilt('views');
    const rev = keys.leaderboardRevision('views');
    // A lost +1 followed by a -1: the member is missing, the board must not show -1.
    expect(await t.redis.leaderboardIncr(live, next, built, rev, -1, '901')).toBe(0);
    expect(await t.redis.zScore(live, '901')).toBeNull();
    await t.redis.del(built);
    const before = await t.redis.get(rev);
    await t.redis.leaderboardIncr(live, next, built, rev, 4, '902');
    expect(await t.redis.exists(live)).toBe(0);
    // Nothing changed on the live board: its cached pages stay valid.
    expect(await t.redis.get(rev)).toBe(before);
  });
});
