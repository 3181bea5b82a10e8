import { expect } from '@jest/globals';
import { RedisKeys } from '../../src/redis/keys.js';
import { authHeader, type RegisteredUser } from './factories.js';
import { pollUntil } from './poll.js';
import type { TestApp } from './test-app.js';

/** Helpers of the feed timeline specs. */

/** Bound for background work (fan-out jobs) on a loaded 2-core machine. */
export const JOB_BOUND_MS = 15_000;

export interface Feed {
  slugs: string[];
  count: number;
}

export async function feedOf(t: TestApp, user: RegisteredUser, query = ''): Promise<Feed> {
  const response = await t
    .http()
    .get(`/api/articles/feed${query}`)
    .set(authHeader(user.token))
    .expect(200);
  return {
    slugs: (response.body.articles as { slug: string }[]).map((a) => a.slug),
    count: response.body.articlesCount as number,
  };
}

/** The feed as Postgres orders it (the reference every timeline page must equal). */
export async function postgresFeed(t: TestApp, viewerId: number, limit: number, offset: number) {
  const rows: { slug: string }[] = await t.db.query(
    `SELECT a.slug FROM articles a JOIN follows f ON f.followee_id = a.author_id
     WHERE f.follower_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
    [viewerId, limit, offset],
  );
  const [{ n }]: { n: number }[] = await t.db.query(
    `SELECT count(*)::int AS n FROM articles a JOIN follows f ON f.followee_id = a.author_id
     WHERE f.follower_id = $1`,
    [viewerId],
  );
  return { slugs: rows.map((row) => row.slug), count: n };
}

export async function articleId(t: TestApp, slug: string): Promise<number> {
  const rows: { id: number }[] = await t.db.query(`SELECT id FROM articles WHERE slug = $1`, [
    slug,
  ]);
  return rows[0].id;
}

/** Article ids held by a user's timeline zset (sentinel left out), newest first; null if none. */
export async function timelineIds(t: TestApp, userIdValue: number): Promise<number[] | null> {
  const key = t.app.get(RedisKeys).timeline(userIdValue);
  if (!(await t.redis.exists(key))) return null;
  const members = await t.redis.zRange(key, 0, -1, { REV: true });
  return members.filter((m) => m !== '#').map(Number);
}

/**
 * Waits (up to JOB_BOUND_MS) until article `id` is the newest entry of a timeline as `read` gives
 * it (`timelineIds` of the reader, or a variant that rides out a failover), and fails if it never
 * becomes so.
 */
export async function expectNewestInTimeline(
  id: number,
  read: () => Promise<number[] | null>,
): Promise<void> {
  const held = await pollUntil(read, (ids) => ids?.[0] === id, JOB_BOUND_MS);
  expect(held?.[0]).toBe(id);
}

export async function timelineReads(t: TestApp): Promise<number> {
  const metric = await t.metrics.feedReads.get();
  return metric.values.find((v) => v.labels.source === 'timeline')?.value ?? 0;
}

export async function follow(
  t: TestApp,
  user: RegisteredUser,
  target: RegisteredUser,
): Promise<void> {
  await t
    .http()
    .post(`/api/profiles/${target.username}/follow`)
    .set(authHeader(user.token))
    .expect(200);
}

export async function unfollow(
  t: TestApp,
  user: RegisteredUser,
  target: RegisteredUser,
): Promise<void> {
  await t
    .http()
    .delete(`/api/profiles/${target.username}/follow`)
    .set(authHeader(user.token))
    .expect(200);
}

export async function articleOwner(t: TestApp, slug: string): Promise<string> {
  const rows: { username: string }[] = await t.db.query(
    `SELECT u.username FROM articles a JOIN users u ON u.id = a.author_id WHERE a.slug = $1`,
    [slug],
  );
  return rows[0].username;
}

export async function ownerToken(
  t: TestApp,
  slug: string,
  authors: RegisteredUser[],
): Promise<string> {
  const owner = await articleOwner(t, slug);
  return authors.find((a) => a.username === owner)!.token;
}
