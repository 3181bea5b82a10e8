import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { drive, type LoadRequest, type LoadResult } from './load.js';
import { paced } from './paced.js';
import { runNodeScript, startApp, type RunningApp } from './processes.js';

/**
 * `npm run bench`: the built app in production mode against the seeded database, driven from this
 * separate process. Every figure is a ratio measured in one run (the machine is shared and noisy).
 * Options: --seconds N (per run, default 8), --connections N (default 50), --skip-reconcile,
 * --url URL [--uncached-url URL] to drive servers you started instead of starting them.
 */
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = option('--seconds', 8);
const CONNECTIONS = option('--connections', 50);
const SEED_PASSWORD = 'seed-password';

try {
  process.loadEnvFile('.env');
} catch {
  // defaults
}
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit';

interface Row {
  scenario: string;
  max: LoadResult;
  half?: LoadResult;
  ratioToBaseline?: number;
  note?: string;
}

const random = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

async function login(app: RunningApp, email: string): Promise<string> {
  const response = await fetch(`${app.url}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: { email, password: SEED_PASSWORD } }),
  });
  if (!response.ok)
    throw new Error(`login as ${email} failed: ${response.status} (is the database seeded?)`);
  return ((await response.json()) as { user: { token: string } }).user.token;
}

async function warm(app: RunningApp, paths: string[], token?: string): Promise<void> {
  for (let i = 0; i < paths.length; i += 50) {
    await Promise.all(
      paths.slice(i, i + 50).map((path) =>
        fetch(`${app.url}${path}`, {
          headers: token ? { authorization: `Token ${token}` } : {},
        }).then((r) => r.arrayBuffer()),
      ),
    );
  }
}

/** Max throughput, then the same load capped at half of it, for the latency at a sane load. */
async function measure(name: string, url: string, next: () => LoadRequest): Promise<Row> {
  process.stderr.write(`bench: ${name} ...\n`);
  const max = await drive(url, next, { seconds: SECONDS, connections: CONNECTIONS });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let the saturated run drain
  // Latency at half the maximum rate, paced open-loop (see paced.ts for why not autocannon's rate).
  const half = await paced(url, next, {
    seconds: SECONDS,
    rate: Math.max(1, Math.round(max.requestsPerSecond / 2)),
  });
  return { scenario: name, max, half };
}

async function sample(db: pg.Client) {
  const users = (
    await db.query<{ username: string; email: string }>(
      `SELECT username, email FROM users ORDER BY random() LIMIT 2000`,
    )
  ).rows;
  const slugs = (
    await db.query<{ slug: string }>(`SELECT slug FROM articles ORDER BY random() LIMIT 1000`)
  ).rows.map((row) => row.slug);
  const counts = (
    await db.query<{ users: number; follows: number; articles: number; favorites: number }>(`
    SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM follows)::int AS follows,
           (SELECT count(*) FROM articles)::int AS articles, (SELECT count(*) FROM favorites)::int AS favorites`)
  ).rows[0];
  return { users, slugs, counts };
}

async function reconcileCost(databaseUrl: string, prefix: string) {
  const cli = 'dist/stats/reconcile.cli.js';
  if (!existsSync(cli)) return undefined;
  const run = await runNodeScript(cli, [], {
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  });
  if (run.code !== 0) throw new Error(`reconcile failed: ${run.stderr}`);
  return { seconds: Number(run.seconds.toFixed(2)), peakRssMb: Math.round(run.peakRssMb) };
}

async function main(): Promise<void> {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const { users, slugs, counts } = await sample(db);
  await db.end();
  if (users.length < 100 || slugs.length < 100) {
    throw new Error('the database is nearly empty: run `npm run seed -- --scale large` first');
  }
  const admin = 'user1@seed.test';
  const common = {
    JWT_SECRET: randomBytes(48).toString('base64'),
    ADMIN_EMAILS: admin,
    VIEWS_FLUSH_INTERVAL_MS: '10000',
    // Measured on its own below: a scheduled run in the middle of a scenario would skew it.
    RECONCILE_ENABLED: 'false',
  };
  // --url drives a server you started yourself (seeded, with ADMIN_EMAILS=user1@seed.test); the
  // cache-off twin then needs --uncached-url, or that scenario is left out.
  const given = (name: string): RunningApp | undefined => {
    const i = args.indexOf(name);
    return i >= 0
      ? { url: args[i + 1], child: undefined, stop: () => Promise.resolve() }
      : undefined;
  };
  const cached = given('--url') ?? (await startApp({ ...common, CACHE_ENABLED: 'true' }));
  const uncached = given('--url')
    ? given('--uncached-url')
    : await startApp({ ...common, CACHE_ENABLED: 'false' });
  const rows: Row[] = [];
  try {
    const tokens = await Promise.all(users.slice(0, 50).map((user) => login(cached, user.email)));
    const adminToken = await login(cached, admin);
    const profilePaths = users.map((user) => `/api/profiles/${user.username}`);
    const articlePaths = slugs.map((slug) => `/api/articles/${slug}`);
    await warm(cached, profilePaths);
    await warm(cached, profilePaths, tokens[0]);
    await warm(cached, articlePaths);
    await warm(
      cached,
      ['/api/articles?limit=20', '/api/admin/leaderboards/followers?limit=100'],
      adminToken,
    );

    const baseline = await measure('baseline GET /health/live', cached.url, () => ({
      path: '/health/live',
    }));
    rows.push(baseline);
    rows.push(
      await measure('profile warm, anonymous', cached.url, () => ({ path: random(profilePaths) })),
    );
    rows.push(
      await measure('profile warm, authenticated', cached.url, () => ({
        path: random(profilePaths),
        token: random(tokens),
      })),
    );
    if (uncached) {
      rows.push(
        await measure('profile, cache off', uncached.url, () => ({ path: random(profilePaths) })),
      );
    }
    rows.push(await measure('article warm', cached.url, () => ({ path: random(articlePaths) })));
    rows.push(
      await measure('articles?limit=20 warm', cached.url, () => ({
        path: '/api/articles?limit=20',
      })),
    );
    rows.push(
      await measure('articles/feed', cached.url, () => ({
        path: '/api/articles/feed',
        token: random(tokens),
      })),
    );
    rows.push(
      await measure('leaderboard followers top 100', cached.url, () => ({
        path: '/api/admin/leaderboards/followers?limit=100',
        token: adminToken,
      })),
    );
    rows.push(
      await measure('mixed 90% read / 10% write', cached.url, () => {
        const roll = Math.random();
        if (roll < 0.45) return { path: random(profilePaths), token: random(tokens) };
        if (roll < 0.9) return { path: random(articlePaths), token: random(tokens) };
        const method = Math.random() < 0.5 ? 'POST' : 'DELETE';
        return roll < 0.95
          ? { method, path: `${random(profilePaths)}/follow`, token: random(tokens) }
          : { method, path: `${random(articlePaths)}/favorite`, token: random(tokens) };
      }),
    );
  } finally {
    await cached.stop();
    await uncached?.stop();
  }
  for (const row of rows)
    row.ratioToBaseline = Number(
      (row.max.requestsPerSecond / rows[0].max.requestsPerSecond).toFixed(2),
    );

  let reconciliation: Record<string, unknown> | undefined;
  if (!flag('--skip-reconcile')) {
    process.stderr.write('bench: reconciliation (large = the seeded database) ...\n');
    const large = await reconcileCost(DATABASE_URL, process.env.REDIS_KEY_PREFIX ?? 'conduit:');
    const mediumUrl = new URL(DATABASE_URL);
    mediumUrl.pathname = `${mediumUrl.pathname}_medium`;
    process.stderr.write('bench: seeding a medium database for the growth ratio ...\n');
    const seeded = await runNodeScript('dist/seed/seed.js', ['--scale', 'medium', '--reset'], {
      DATABASE_URL: mediumUrl.toString(),
      REDIS_KEY_PREFIX: 'bench-medium:',
    });
    if (seeded.code !== 0) throw new Error(`seeding the medium database failed: ${seeded.stderr}`);
    const medium = await reconcileCost(mediumUrl.toString(), 'bench-medium:');
    reconciliation =
      large && medium
        ? {
            large,
            medium,
            timeRatio: Number((large.seconds / medium.seconds).toFixed(2)),
            dataRatio: Number((counts.users / 10_000).toFixed(2)),
          }
        : { skipped: 'dist/stats/reconcile.cli.js not built' };
  }

  printTable(rows, reconciliation);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      {
        when: new Date().toISOString(),
        seconds: SECONDS,
        connections: CONNECTIONS,
        data: counts,
        rows,
        reconciliation,
      },
      null,
      2,
    ),
  );
  console.log(`\nresults written to ${file}`);
}

function printTable(rows: Row[], reconciliation: Record<string, unknown> | undefined): void {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'x baseline',
    'p99 ms @50%',
    'errors @50%',
  ];
  const lines = rows.map((row) => [
    row.scenario,
    String(row.max.requestsPerSecond),
    String(row.max.p50),
    String(row.max.p99),
    String(row.max.errors),
    String(row.ratioToBaseline),
    String(row.half?.p99 ?? '-'),
    String(row.half?.errors ?? '-'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
  if (reconciliation) console.log(`\nreconciliation: ${JSON.stringify(reconciliation)}`);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
