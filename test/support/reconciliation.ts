import { RedisKeys } from '../../src/redis/keys.js';
import type { TestApp } from './test-app.js';

export type FollowMetric = 'followers' | 'following';
export const FOLLOW_METRICS: FollowMetric[] = ['followers', 'following'];

/** The truth from Postgres: user id -> count, users with a zero count left out. */
export async function dbCounts(t: TestApp, metric: FollowMetric): Promise<Map<number, number>> {
  const column = metric === 'followers' ? 'followee_id' : 'follower_id';
  const rows: { id: number; n: number }[] = await t.db.query(
    `SELECT ${column} AS id, count(*)::int AS n FROM follows GROUP BY ${column}`,
  );
  return new Map(rows.map((row) => [row.id, row.n]));
}

export async function boardOf(t: TestApp, metric: FollowMetric): Promise<Map<number, number>> {
  const keys = t.app.get(RedisKeys);
  const entries = await t.redis.zRangeWithScores(keys.leaderboard(metric), 0, -1);
  return new Map(entries.map((entry) => [Number(entry.value), entry.score]));
}

/** Every leaderboard and every user's count hash equals Postgres exactly. */
export async function expectRedisToMatchDb(t: TestApp): Promise<void> {
  const keys = t.app.get(RedisKeys);
  for (const metric of FOLLOW_METRICS) {
    expect(await boardOf(t, metric)).toEqual(await dbCounts(t, metric));
    expect(await t.redis.exists(keys.leaderboardNext(metric))).toBe(0);
  }
  const [followers, following] = [await dbCounts(t, 'followers'), await dbCounts(t, 'following')];
  const users: { id: number }[] = await t.db.query(`SELECT id FROM users ORDER BY id`);
  const hashes = await Promise.all(users.map(({ id }) => t.redis.hGetAll(keys.userCounts(id))));
  const actual = users.map(({ id }, i) => ({
    id,
    followers: hashes[i].followers,
    following: hashes[i].following,
  }));
  const expected = users.map(({ id }) => ({
    id,
    followers: String(followers.get(id) ?? 0),
    following: String(following.get(id) ?? 0),
  }));
  expect(actual).toEqual(expected);
}
