import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, registerUser, userId, type RegisteredUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** Small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('follows under concurrency: Postgres, Redis zsets and counts agree exactly', () => {
  let one: TestApp;
  let two: TestApp;
  let keys: RedisKeys;
  let users: (RegisteredUser & { id: number })[];

  beforeAll(async () => {
    one = await bootApp();
    two = await bootApp(); // a second instance: the races are cross-process too
    keys = one.app.get(RedisKeys);
    await resetState(one);
    users = [];
    for (let i = 0; i < 10; i++) {
      const user = await registerUser(one);
      users.push({ ...user, id: await userId(one, user.username) });
    }
  });
  afterAll(async () => {
    await two.close();
    await one.close();
  });

  it('survives parallel follows, unfollows, reads and cache loss', async () => {
    const random = prng(20261123);
    const pick = () => users[Math.floor(random() * users.length)];
    const [hotA, hotB] = users;
    const operations: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 400; i++) {
      const app = random() < 0.5 ? one : two;
      const roll = random();
      // A third of the writes hammer one pair; the rest spread over all pairs.
      const [from, to] = roll < 0.3 ? [hotA, hotB] : [pick(), pick()];
      if (from.id === to.id) continue;
      if (roll < 0.75) {
        const verb = random() < 0.5 ? 'post' : 'delete';
        operations.push(() =>
          app
            .http()
            [verb](`/api/profiles/${to.username}/follow`)
            .set(authHeader(from.token))
            .expect(200),
        );
      } else if (roll < 0.9) {
        operations.push(() =>
          app.http().get(`/api/profiles/${to.username}`).set(authHeader(from.token)).expect(200),
        );
      } else if (roll < 0.97) {
        operations.push(() =>
          app.http().get(`/api/profiles/${to.username}/followers?limit=5`).expect(200),
        );
      } else {
        // Lose derived data in the middle of the traffic: it must be rebuilt without drift.
        operations.push(() =>
          one.redis.del([keys.userCounts(to.id), keys.following(to.id), keys.followers(to.id)]),
        );
      }
    }
    for (let i = 0; i < operations.length; i += 40) {
      await Promise.all(operations.slice(i, i + 40).map((operation) => operation()));
    }

    const edges: { follower_id: number; followee_id: number }[] = await one.db.query(
      `SELECT follower_id, followee_id FROM follows`,
    );
    expect(edges.length).toBeGreaterThan(0);
    for (const user of users) {
      const following = edges
        .filter((e) => e.follower_id === user.id)
        .map((e) => e.followee_id)
        .sort();
      const followers = edges
        .filter((e) => e.followee_id === user.id)
        .map((e) => e.follower_id)
        .sort();

      // Reading through the API loads whatever is missing; then Redis must equal Postgres.
      const profile = (await one.http().get(`/api/profiles/${user.username}`).expect(200)).body
        .profile;
      expect({
        user: user.id,
        following: profile.followingCount,
        followers: profile.followersCount,
      }).toEqual({
        user: user.id,
        following: following.length,
        followers: followers.length,
      });
      await one.http().get(`/api/profiles/${user.username}/following`).expect(200);
      await one.http().get(`/api/profiles/${user.username}/followers`).expect(200);
      const members = async (key: string) =>
        (await one.redis.zRange(key, 0, -1))
          .filter((m) => m !== '#')
          .map(Number)
          .sort();
      expect(await members(keys.following(user.id))).toEqual(following);
      expect(await members(keys.followers(user.id))).toEqual(followers);
      expect(await one.redis.hGetAll(keys.userCounts(user.id))).toMatchObject({
        following: String(following.length),
        followers: String(followers.length),
      });
      // Leaderboards move by deltas from an empty Redis (reconciliation owns them otherwise).
      const score = async (metric: 'following' | 'followers') =>
        Number((await one.redis.zScore(keys.leaderboard(metric), String(user.id))) ?? 0);
      expect(await score('following')).toBe(following.length);
      expect(await score('followers')).toBe(followers.length);
    }
  });
});
