import pg from 'pg';
import { createClient } from 'redis';
import { startApp } from './processes.js';
import { numberOption } from './options.js';

/**
 * Fan-out cost per article: time until a created article sits in every follower's timeline (the
 * `article-created` job done), and the Redis memory it adds, for an author with 1,000 followers
 * (pushed) and one with 100,000 (pulled: only the author's own list grows).
 *
 *   npm run bench:fanout [-- --articles 20]
 *
 * Uses its own database (conduit_bench_fanout, dropped and recreated) and Redis db 8 with the
 * `fanout:` prefix; FANOUT_DATABASE_URL / FANOUT_REDIS_URL override them, never DATABASE_URL: a
 * developer's exported DATABASE_URL must not be dropped. The database name must start with
 * `conduit_bench_fanout` for the same reason. Follower timelines are made to exist (empty, as after a
 * first feed read) so the job writes to all of them, as it would for active readers.
 */
const ARTICLES = numberOption('--articles', 20);
const DATABASE_URL =
  process.env.FANOUT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit_bench_fanout';
const REDIS_URL = process.env.FANOUT_REDIS_URL ?? 'redis://127.0.0.1:6379/8';
const PREFIX = 'fanout:';
const AUTHORS = [
  { name: 'pushed', followers: 1_000 },
  { name: 'pulled', followers: 100_000 },
];

async function recreateDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  if (!name.startsWith('conduit_bench_fanout')) {
    throw new Error(
      `refusing to drop database "${name}": its name must start with conduit_bench_fanout`,
    );
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
}

async function main(): Promise<void> {
  await recreateDatabase();
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  for await (const keys of redis.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 1000 }))
    if (keys.length) await redis.unlink(keys);
  for await (const keys of redis.scanIterator({ MATCH: `{${PREFIX}*`, COUNT: 1000 }))
    if (keys.length) await redis.unlink(keys);
  const app = await startApp({
    DATABASE_URL,
    REDIS_URL,
    REDIS_KEY_PREFIX: PREFIX,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    METRICS_TOKEN: 'bench-metrics-token-0123456789',
    THROTTLE_ADDRESS_LIMIT: '1000000',
    THROTTLE_ACCOUNT_LIMIT: '1000000',
    RECONCILE_ENABLED: 'false',
    FANOUT_MAX_FOLLOWERS: '5000',
  });
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  try {
    for (const author of AUTHORS) {
      const registered = await post(app.url, '/api/users', {
        user: {
          username: `author-${author.name}`,
          email: `${author.name}@fanout.test`,
          password: 'bench-password-123',
        },
      });
      const token = registered.user.token as string;
      const [{ id: authorId }] = (
        await db.query<{ id: number }>(`SELECT id FROM users WHERE username = $1`, [
          `author-${author.name}`,
        ])
      ).rows;
      const followers = (
        await db.query<{ id: number }>(
          `INSERT INTO users (email, username, password_hash)
           SELECT $1 || n || '@fanout.test', $1 || n, 'x' FROM generate_series(1, $2::int) n
           RETURNING id`,
          [`${author.name}-follower-`, author.followers],
        )
      ).rows.map((row) => row.id);
      await db.query(
        `INSERT INTO follows (follower_id, followee_id, created_at)
         SELECT unnest($1::int[]), $2, now()`,
        [followers, authorId],
      );
      // Loaded, empty timelines (what a first feed read leaves), so the job writes to each.
      for (let i = 0; i < followers.length; i += 5000) {
        const batch = redis.multi();
        for (const id of followers.slice(i, i + 5000))
          batch.zAdd(`${PREFIX}user:{${id}}:timeline`, { score: 0, value: '#' });
        await batch.exec();
      }
      // The first article of a newly pulled author purges the timelines once: not per article.
      await createArticle(app.url, token, `${author.name} warm-up`);
      await waitForJobs(redis);
      const last = followers[followers.length - 1];
      const memoryBefore = await usedMemory(redis);
      const start = performance.now();
      for (let i = 0; i < ARTICLES; i++) {
        await createArticle(app.url, token, `${author.name} ${i}`);
      }
      await waitForJobs(redis);
      const seconds = (performance.now() - start) / 1000;
      const memoryAfter = await usedMemory(redis);
      const inLastTimeline = (await redis.zCard(`${PREFIX}user:{${last}}:timeline`)) - 1;
      process.stdout.write(
        `${author.name.padEnd(7)} ${String(author.followers).padStart(7)} followers: ` +
          `${((seconds * 1000) / ARTICLES).toFixed(1)} ms per article (create + job, sequential), ` +
          `${Math.round((memoryAfter - memoryBefore) / ARTICLES)} bytes of Redis per article, ` +
          `last follower's timeline holds ${inLastTimeline}\n`,
      );
    }
  } finally {
    await db.end();
    await app.stop();
    await redis.quit();
  }
}

async function post(base: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Token ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, Record<string, unknown>>;
}

function createArticle(base: string, token: string, title: string) {
  return post(base, '/api/articles', { article: { title, description: 'd', body: 'b' } }, token);
}

/** Waits until the timelines queue has nothing waiting or running. */
async function waitForJobs(redis: ReturnType<typeof createClient>): Promise<void> {
  const queue = `${PREFIX}{queues}:timelines`;
  for (;;) {
    const [waiting, active, delayed] = await Promise.all([
      redis.lLen(`${queue}:wait`),
      redis.lLen(`${queue}:active`),
      redis.zCard(`${queue}:delayed`),
    ]);
    if (waiting + active + delayed === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function usedMemory(redis: ReturnType<typeof createClient>): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
