import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** `npm run seed` on its own test database: sizes, skew, refusal without --reset. */
describe('the seed command (dist/seed/seed.js)', () => {
  const base = new URL(process.env.DATABASE_URL!);
  base.pathname = `${base.pathname}_seed`;
  const env = { ...process.env, DATABASE_URL: base.toString(), REDIS_KEY_PREFIX: 'test:seed:' };
  const seed = (...args: string[]) =>
    run(process.execPath, ['dist/seed/seed.js', ...args], { env });

  it('fills an empty database with skewed data, then refuses to run again without --reset', async () => {
    await seed(
      '--users',
      '300',
      '--follows-per-user',
      '5',
      '--articles-per-user',
      '2',
      '--favorites-per-user',
      '4',
      '--reset',
    );
    const db = new pg.Client({ connectionString: base.toString() });
    await db.connect();
    try {
      const { rows } = await db.query(`
        SELECT (SELECT count(*) FROM users)::int AS users,
               (SELECT count(*) FROM follows)::int AS follows,
               (SELECT count(*) FROM articles)::int AS articles,
               (SELECT count(*) FROM favorites)::int AS favorites,
               (SELECT max(n) FROM (SELECT count(*) AS n FROM follows GROUP BY followee_id) s)::int AS top_followers,
               (SELECT count(*) FROM follows WHERE follower_id = followee_id)::int AS self_follows,
               (SELECT count(*) FROM articles a
                 WHERE favorites_count <> (SELECT count(*) FROM favorites f WHERE f.article_id = a.id))::int AS bad_counts`);
      const counts = rows[0];
      expect(counts.users).toBe(300);
      expect(counts.articles).toBe(600);
      expect(counts.follows).toBeGreaterThan(300 * 5 * 0.7);
      expect(counts.favorites).toBeGreaterThan(300 * 4 * 0.5);
      expect(counts.top_followers).toBeGreaterThan(30); // a celebrity, far above the mean of 5
      expect(counts.self_follows).toBe(0);
      expect(counts.bad_counts).toBe(0);
    } finally {
      await db.end();
    }
    await expect(seed('--users', '10')).rejects.toMatchObject({
      stderr: expect.stringMatching(/already holds 300 users; run with --reset/),
    });
  });
});
