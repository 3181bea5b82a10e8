import type { Test } from 'supertest';
import { RedisKeys } from '../src/redis/keys.js';
import {
  authHeader,
  insertUsers,
  registerUser,
  userId,
  type RegisteredUser,
} from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

describe('follows (RealWorld profile endpoints and extensions)', () => {
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

  const profileOf = async (
    username: string,
    viewer?: RegisteredUser,
  ): Promise<Record<string, unknown>> => {
    const request = t.http().get(`/api/profiles/${username}`);
    if (viewer) void request.set(authHeader(viewer.token));
    return (await request.expect(200)).body.profile as Record<string, unknown>;
  };
  const follow = (viewer: RegisteredUser, username: string): Test =>
    t.http().post(`/api/profiles/${username}/follow`).set(authHeader(viewer.token));
  const unfollow = (viewer: RegisteredUser, username: string): Test =>
    t.http().delete(`/api/profiles/${username}/follow`).set(authHeader(viewer.token));

  it('follow and unfollow round trip, with counts after each step', async () => {
    const [jake, celeb] = [await registerUser(t), await registerUser(t)];
    const followed = await follow(jake, celeb.username).expect(200);
    expect(followed.body).toEqual({
      profile: {
        username: celeb.username,
        bio: null,
        image: null,
        following: true,
        followersCount: 1,
        followingCount: 0,
        articlesCount: 0,
        favoritesReceivedCount: 0,
      },
    });
    expect(await profileOf(celeb.username, jake)).toMatchObject({
      following: true,
      followersCount: 1,
    });
    expect(await profileOf(jake.username)).toMatchObject({ following: false, followingCount: 1 });

    const unfollowed = await unfollow(jake, celeb.username).expect(200);
    expect(unfollowed.body.profile).toMatchObject({ following: false, followersCount: 0 });
    expect(await profileOf(celeb.username, jake)).toMatchObject({
      following: false,
      followersCount: 0,
    });
    expect(await profileOf(jake.username)).toMatchObject({ followingCount: 0 });
  });

  it('is idempotent: following twice or unfollowing a stranger changes nothing', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await follow(a, b.username).expect(200);
    const again = await follow(a, b.username).expect(200);
    expect(again.body.profile).toMatchObject({ following: true, followersCount: 1 });
    const rows = await t.db.query(`SELECT count(*)::int AS n FROM follows WHERE followee_id = $1`, [
      await userId(t, b.username),
    ]);
    expect(rows[0].n).toBe(1);
    await unfollow(a, b.username).expect(200);
    const stranger = await unfollow(a, b.username).expect(200);
    expect(stranger.body.profile).toMatchObject({ following: false, followersCount: 0 });
    expect(await profileOf(a.username)).toMatchObject({ followingCount: 0 });
  });

  it('refuses to follow yourself (422), an unknown user (404), and anonymous callers (401)', async () => {
    const a = await registerUser(t);
    const self = await follow(a, a.username).expect(422);
    expect(self.body).toEqual({ errors: { profile: ['you cannot follow yourself'] } });
    const unknown = await follow(a, 'no-such-user').expect(404);
    expect(unknown.body).toEqual({ errors: { body: ['profile not found'] } });
    await unfollow(a, 'no-such-user').expect(404);
    await t.http().post(`/api/profiles/${a.username}/follow`).expect(401);
    await t.http().delete(`/api/profiles/${a.username}/follow`).expect(401);
    expect(await profileOf(a.username)).toMatchObject({ followersCount: 0, followingCount: 0 });
  });

  it("never shows one viewer's flag to another: the cached profile is viewer-independent", async () => {
    const [star, fan, other] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    await follow(fan, star.username).expect(200);
    for (let round = 0; round < 2; round++) {
      expect((await profileOf(star.username, fan)).following).toBe(true);
      expect((await profileOf(star.username, other)).following).toBe(false);
      expect((await profileOf(star.username)).following).toBe(false);
    }
  });

  it("lists following and followers newest first, with the viewer's flags", async () => {
    const [hub, x, y, viewer] = [
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
      await registerUser(t),
    ];
    await follow(x, hub.username).expect(200);
    await follow(y, hub.username).expect(200);
    await follow(hub, x.username).expect(200);
    await follow(viewer, y.username).expect(200);
    const followers = await t
      .http()
      .get(`/api/profiles/${hub.username}/followers`)
      .set(authHeader(viewer.token))
      .expect(200);
    expect(followers.body).toEqual({
      profiles: [
        { username: y.username, bio: null, image: null, following: true },
        { username: x.username, bio: null, image: null, following: false },
      ],
      nextCursor: null,
    });
    const following = await t.http().get(`/api/profiles/${hub.username}/following`).expect(200);
    expect(following.body.profiles.map((p: { username: string }) => p.username)).toEqual([
      x.username,
    ]);
  });

  it('validates limit and cursor (422, never 500)', async () => {
    const a = await registerUser(t);
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=2.5',
      'cursor=%%%',
      'cursor=abc',
      'other=1',
    ]) {
      const response = await t
        .http()
        .get(`/api/profiles/${a.username}/followers?${query}`)
        .expect(422);
      expect(response.body.errors).toEqual(expect.any(Object));
    }
    await t.http().get('/api/profiles/nobody-at-all/followers').expect(404);
  });

  describe('pagination through 250 follows sharing one timestamp', () => {
    let celeb: RegisteredUser;
    let fanIds: number[];

    beforeAll(async () => {
      celeb = await registerUser(t);
      const fans = await insertUsers(t, 250, 'fan');
      fanIds = fans.map((fan) => fan.id);
      await t.db.query(
        `INSERT INTO follows (follower_id, followee_id, created_at)
         SELECT id, $1, '2026-01-01T00:00:00.000Z' FROM unnest($2::int[]) AS id`,
        [await userId(t, celeb.username), fanIds],
      );
    });

    async function walk(app: TestApp, pageSize: number, between?: (page: number) => Promise<void>) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const query: string = `limit=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`;
        const response = await app
          .http()
          .get(`/api/profiles/${celeb.username}/followers?${query}`)
          .expect(200);
        seen.push(...response.body.profiles.map((p: { username: string }) => p.username));
        cursor = response.body.nextCursor;
        if (!cursor) break;
        await between?.(page);
      }
      return seen;
    }

    it('visits every follower exactly once, ties ordered by id', async () => {
      await t.redis.del(keys.followers(await userId(t, celeb.username))); // start from a cold zset
      const seen = await walk(t, 7);
      expect(seen).toHaveLength(250);
      expect(new Set(seen).size).toBe(250);
      const expected = [...fanIds]
        .sort((a, b) => b - a)
        .map((id) => `fan${fanIds.indexOf(id) + 1}`);
      expect(seen).toEqual(expected);
    });

    it('neither skips nor repeats when new follows arrive between page reads', async () => {
      const newcomers = [await registerUser(t), await registerUser(t), await registerUser(t)];
      const seen = await walk(t, 11, async (page) => {
        if (page < newcomers.length) await follow(newcomers[page], celeb.username).expect(200);
      });
      const fans = seen.filter((name) => name.startsWith('fan'));
      expect(fans).toHaveLength(250);
      expect(new Set(fans).size).toBe(250);
      expect(seen.filter((name) => !name.startsWith('fan'))).toEqual([]); // newer than the cursor
      const firstPage = await t
        .http()
        .get(`/api/profiles/${celeb.username}/followers?limit=3`)
        .expect(200);
      expect(firstPage.body.profiles.map((p: { username: string }) => p.username)).toEqual(
        newcomers.map((n) => n.username).reverse(),
      );
    });

    it('pages the same way from Postgres when Redis is unreachable', async () => {
      const degraded = await bootApp({
        REDIS_URL: 'redis://127.0.0.1:1/0',
        REDIS_CONNECT_TIMEOUT_MS: '200',
      });
      try {
        const fromRedis = await walk(t, 13);
        const fromPostgres = await walk(degraded, 13);
        expect(fromPostgres).toEqual(fromRedis);
        expect(fromRedis.length).toBe(253);
      } finally {
        await degraded.close();
      }
    });
  });

  it('rebuilds zsets and counts lazily after their Redis keys are deleted', async () => {
    const [a, b, c] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    await follow(a, b.username).expect(200);
    await follow(a, c.username).expect(200);
    await follow(c, b.username).expect(200);
    const ids = await Promise.all([a, b, c].map((u) => userId(t, u.username)));
    // One DEL per key: keys of different users are in different slots on Cluster.
    await Promise.all(
      ids
        .flatMap((id) => [keys.following(id), keys.followers(id), keys.userCounts(id)])
        .map((key) => t.redis.del(key)),
    );

    // A missing zset must not read as "follows nobody".
    expect(await profileOf(b.username, a)).toMatchObject({ following: true, followersCount: 2 });
    expect(await profileOf(a.username, c)).toMatchObject({ following: false, followingCount: 2 });
    const list = await t.http().get(`/api/profiles/${a.username}/following`).expect(200);
    expect(list.body.profiles.map((p: { username: string }) => p.username).sort()).toEqual(
      [b.username, c.username].sort(),
    );
    expect(await t.redis.exists(keys.following(ids[0]))).toBe(1);
    // A write after the rebuild lands in the rebuilt structures.
    await unfollow(a, b.username).expect(200);
    expect(await profileOf(b.username, a)).toMatchObject({ following: false, followersCount: 1 });
  });
});
