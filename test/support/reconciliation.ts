import type { UserMetric } from '../../src/redis/keys.js';
import { RedisKeys } from '../../src/redis/keys.js';
import type { TestApp } from './test-app.js';

export const ALL_METRICS: UserMetric[] = ['followers', 'following', 'articles', 'likes', 'views'];

/** How Postgres counts each metric per user. */
const TRUTH: Record<UserMetric, string> = {
  followers: `SELECT followee_id AS id, count(*)::int AS n FROM follows GROUP BY 1`,
  following: `SELECT follower_id AS id, count(*)::int AS n FROM follows GROUP BY 1`,
  articles: `SELECT author_id AS id, count(*)::int AS n FROM articles GROUP BY 1`,
  likes: `SELECT author_id AS id, sum(favorites_count)::int AS n FROM articles GROUP BY 1`,
  views: `SELECT author_id AS id, sum(views_count)::int AS n FROM articles GROUP BY 1`,
};

/** The truth from Postgres: user id -> count, users with a zero count left out. */
export async function dbCounts(t: TestApp, metric: UserMetric): Promise<Map<number, number>> {
  const rows: { id: number; n: number }[] = await t.db.query(TRUTH[metric]);
  return new Map(rows.filter((row) => row.n !== 0).map((row) => [row.id, row.n]));
}

export async function boardOf(t: TestApp, metric: UserMetric): Promise<Map<number, number>> {
  const keys = t.app.get(RedisKeys);
  const entries = await t.redis.zRangeWithScores(keys.leaderboard(metric), 0, -1);
  return new Map(entries.map((entry) => [Number(entry.value), entry.score]));
}

/** Every leaderboard and every user's count hash equals Postgres exactly. */
export async function expectRedisToMatchDb(t: TestApp): Promise<void> {
  const keys = t.app.get(RedisKeys);
  const truth = new Map<UserMetric, Map<number, number>>();
  for (const metric of ALL_METRICS) {
    truth.set(metric, await dbCounts(t, metric));
    expect({ metric, board: await boardOf(t, metric) }).toEqual({
      metric,
      board: truth.get(metric),
    });
    expect(await t.redis.exists(keys.leaderboardNext(metric))).toBe(0);
  }
  const users: { id: number }[] = await t.db.query(`SELECT id FROM users ORDER BY id`);
  const hashes = await Promise.all(users.map(({ id }) => t.redis.hGetAll(keys.userCounts(id))));
  const pick = (source: (metric: UserMetric) => string | undefined) =>
    Object.fromEntries(ALL_METRICS.map((metric) => [metric, source(metric)]));
  const actual = users.map(({ id }, i) => ({ id, ...pick((metric) => hashes[i][metric]) }));
  const expected = users.map(({ id }) => ({
    id,
    ...pick((metric) => String(truth.get(metric)!.get(id) ?? 0)),
  }));
  expect(actual).toEqual(expected);
}
