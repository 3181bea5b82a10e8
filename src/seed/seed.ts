import argon2 from 'argon2';
import pg from 'pg';
import { runCli } from '../common/cli.js';
import { validateEnv } from '../config/env.schema.js';
import { ensureDatabaseExists, redactUrl, runMigrations } from '../database/ensure-database.js';
import { withRedis } from '../redis/redis.client.js';
import { redisTopologyOf, type RedisTopology } from '../redis/redis-topology.js';
import { ProgressBar } from './progress.js';
import { parseSeedArgs, SCALES, type SeedPlan } from './seed-plan.js';

/** Every seeded user's password, so benchmarks and people can log in as anyone. */
export const SEED_PASSWORD = 'seed-password';
const CHUNK = 10_000;
const TAGS = [
  'dragons',
  'angular',
  'react',
  'nestjs',
  'redis',
  'postgres',
  'typescript',
  'node',
  'rust',
  'go',
  'kubernetes',
  'docker',
  'testing',
  'caching',
  'performance',
  'security',
  'design',
  'career',
  'music',
  'travel',
  'food',
  'books',
  'movies',
  'science',
  'history',
  'art',
  'sports',
  'health',
  'finance',
  'startups',
  'ai',
  'data',
  'cloud',
  'linux',
  'vim',
  'emacs',
  'css',
  'html',
  'sql',
  'math',
];

type Step = { label: string; total: number; run: (from: number, to: number) => Promise<unknown> };

/**
 * `npm run seed`: realistic, skewed data generated inside Postgres (INSERT ... SELECT over
 * generate_series: nothing crosses the wire but the statements). Followees, favorited articles and
 * authors follow power laws (a few celebrities, a long tail); follows and favorites per user vary.
 * Redis is not warmed: the app's lazy paths or reconciliation rebuild it.
 */
const USAGE = `usage: npm run seed -- [--scale small|medium|large] [--users N] [--follows-per-user N]
                       [--articles-per-user N] [--favorites-per-user N] [--reset]

Fills the database in DATABASE_URL (created and migrated if missing) with skewed demo data.
  --scale              preset sizes: small (default, ${SCALES.small.users} users), medium (${SCALES.medium.users}), large (${SCALES.large.users})
  --users N            number of users (overrides the scale; at least 2)
  --follows-per-user N, --articles-per-user N, --favorites-per-user N   averages per user
  --reset              empty the database and this app's Redis keys first (required when not empty)
Every seeded user's password is "${SEED_PASSWORD}". Runs the build in dist/ (\`npm run build\` first).`;

async function seed(args: string[]): Promise<void> {
  const options = parseSeedArgs(args);
  const env = validateEnv(process.env);
  await ensureDatabaseExists(env.DATABASE_URL);
  await runMigrations(env.DATABASE_URL);
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  const started = Date.now();
  try {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`);
    if (rows[0].n > 0 && !options.reset) {
      throw new Error(
        `${redactUrl(env.DATABASE_URL)} already holds ${rows[0].n} users; run with --reset to replace all data`,
      );
    }
    if (options.reset) await reset(db, redisTopologyOf(env), env.REDIS_KEY_PREFIX);
    const hash = await argon2.hash(SEED_PASSWORD, {
      type: argon2.argon2id as 2,
      memoryCost: 19_456,
      timeCost: 2,
    });
    for (const step of plan(db, options, hash)) {
      const bar = new ProgressBar(step.label, step.total);
      bar.update(0);
      for (let from = 1; from <= step.total; from += CHUNK) {
        const to = Math.min(step.total, from + CHUNK - 1);
        await step.run(from, to);
        bar.update(to);
      }
    }
    // VACUUM sets the visibility map, so index-only scans (feed, counts) skip the heap.
    await db.query('VACUUM ANALYZE');
    const counts = await db.query<Record<string, number>>(`
      SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM follows)::int AS follows,
             (SELECT count(*) FROM articles)::int AS articles, (SELECT count(*) FROM favorites)::int AS favorites,
             (SELECT count(*) FROM article_tags)::int AS tags`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`seeded ${redactUrl(env.DATABASE_URL)} in ${seconds} s`);
    console.table(counts.rows[0]);
    console.log(`every user's password is "${SEED_PASSWORD}" (emails user<N>@seed.test)`);
  } finally {
    await db.end();
  }
}

function plan(db: pg.Client, options: SeedPlan, passwordHash: string): Step[] {
  const users = options.users;
  const articles = users * options.articlesPerUser;
  return [
    {
      label: 'users',
      total: users,
      run: (from, to) =>
        db.query(
          `INSERT INTO users (email, username, password_hash, bio, created_at, updated_at)
           SELECT 'user' || n || '@seed.test', 'user' || n, $3,
                  CASE WHEN n % 3 = 0 THEN 'I am user ' || n END, ts, ts
           FROM (SELECT n, now() - random() * interval '730 days' AS ts FROM generate_series($1::int, $2::int) n) s`,
          [from, to, passwordHash],
        ),
    },
    {
      // Each user follows ~followsPerUser others (0 to twice that); followees skew to low ids.
      label: 'follows',
      total: options.followsPerUser > 0 ? users : 0,
      run: (from, to) =>
        db.query(
          `INSERT INTO follows (follower_id, followee_id, created_at)
           SELECT f, t, date_trunc('milliseconds', now() - random() * interval '365 days')
           FROM (
             SELECT f, 1 + floor($3 * power(random(), 3))::int AS t
             FROM generate_series($1::int, $2::int) f
             CROSS JOIN LATERAL generate_series(1, floor(random() * 2 * $4 + random())::int + f * 0) k
           ) s
           WHERE f <> t
           ON CONFLICT DO NOTHING`,
          [from, to, users, options.followsPerUser],
        ),
    },
    {
      // Authors skew to low ids too: a few prolific writers, many occasional ones.
      label: 'articles',
      total: articles,
      run: (from, to) =>
        db.query(
          `INSERT INTO articles (slug, title, description, body, author_id, views_count, created_at, updated_at)
           SELECT 'seed-article-' || n, 'Seed article number ' || n, 'What article ' || n || ' is about',
                  repeat('A paragraph of seeded article text, long enough to look real. ', 12),
                  author, views, ts, ts
           FROM (SELECT n, 1 + floor($3 * power(random(), 2))::int AS author,
                        floor(power(random(), 4) * 10000)::int AS views,
                        date_trunc('milliseconds', now() - random() * interval '365 days') AS ts
                 FROM generate_series($1::int, $2::int) n) s`,
          [from, to, users],
        ),
    },
    {
      label: 'tags',
      total: articles,
      run: (from, to) =>
        db.query(
          `INSERT INTO article_tags (article_id, tag)
           SELECT a, ($3::text[])[1 + floor(power(random(), 2) * array_length($3::text[], 1))::int]
           FROM generate_series($1::int, $2::int) a
           CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 3)::int + a * 0) k
           ON CONFLICT DO NOTHING`,
          [from, to, TAGS],
        ),
    },
    {
      // Favorites per user vary; favorited articles skew to low ids (the viral ones).
      label: 'favorites',
      total: options.favoritesPerUser > 0 && articles > 0 ? users : 0,
      run: (from, to) =>
        db.query(
          `INSERT INTO favorites (user_id, article_id, created_at)
           SELECT u, 1 + floor($3 * power(random(), 2))::int, now()
           FROM generate_series($1::int, $2::int) u
           CROSS JOIN LATERAL generate_series(1, floor(random() * 2 * $4 + random())::int + u * 0) k
           ON CONFLICT DO NOTHING`,
          [from, to, articles, options.favoritesPerUser],
        ),
    },
    {
      label: 'fav counts',
      total: articles,
      run: (from, to) =>
        db.query(
          `UPDATE articles a SET favorites_count = c.n
           FROM (SELECT article_id, count(*)::int AS n FROM favorites
                 WHERE article_id BETWEEN $1 AND $2 GROUP BY article_id) c
           WHERE a.id = c.article_id`,
          [from, to],
        ),
    },
  ];
}

/** Empties every table (ids restart at 1) and the app's Redis keys, which described the old data. */
async function reset(db: pg.Client, topology: RedisTopology, prefix: string): Promise<void> {
  await db.query(
    `TRUNCATE users, sessions, follows, articles, article_tags, favorites, comments RESTART IDENTITY CASCADE`,
  );
  try {
    // Every master (a Cluster spreads the keys over several); lease keys are `{prefix...}:lease`.
    const removed = await withRedis(topology, 2000, async (redis) => {
      let count = 0;
      for (const pattern of [`${prefix}*`, `{${prefix}*`])
        count += await redis.deleteMatching(pattern);
      return count;
    });
    console.error(`reset: emptied the database and ${removed} Redis keys under "${prefix}"`);
  } catch (error) {
    console.error(
      `reset: could not clear Redis (${String(error)}); restart the app or run reconciliation`,
    );
  }
}

runCli({
  name: 'seed',
  usage: USAGE,
  hint: (message) =>
    message.startsWith('unknown option') ? 'see `npm run seed -- --help`' : undefined,
  run: seed,
});
