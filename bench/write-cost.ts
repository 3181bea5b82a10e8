import { drive, type LoadRequest, type LoadResult } from './load.js';
import { startApp, type RunningApp } from './processes.js';
import { numberOption, textOption } from './options.js';

/**
 * What the outbox costs a write on the happy path: the same follow/unfollow load against two
 * builds, interleaved in one run (old, new, old, new) on the same Postgres and Redis.
 *
 *   node dist/bench/write-cost.js --old /path/to/old/build [--seconds 8] [--connections 20]
 *
 * `--old` is a checkout of the build without the outbox (e.g. `git archive main`, built), started
 * from its own dist/main.js. DATABASE_URL / REDIS_URL as for the app (default: conduit_bench_writes
 * on the local Postgres, Redis db 9); each build gets its own key prefix.
 */
const OLD = textOption('--old', '');
const SECONDS = numberOption('--seconds', 8);
const CONNECTIONS = numberOption('--connections', 20);
const ROUNDS = numberOption('--rounds', 4);
const USERS = 200;
const DATABASE_URL =
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit_bench_writes';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/9';

type App = RunningApp;

function startBuild(dir: string, prefix: string): Promise<App> {
  return startApp(
    {
      DATABASE_URL,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
      METRICS_TOKEN: 'bench-metrics-token-0123456789',
      // One load generator registers every user from one address.
      THROTTLE_ADDRESS_LIMIT: '1000000',
      THROTTLE_ACCOUNT_LIMIT: '1000000',
      RECONCILE_ENABLED: 'false',
    },
    dir,
  );
}

async function registerUsers(app: App): Promise<{ name: string; token: string }[]> {
  const run = Date.now().toString(36);
  const users: { name: string; token: string }[] = [];
  for (let i = 0; i < USERS; i++) {
    const name = `w${run}${i}`;
    const response = await fetch(`${app.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user: { username: name, email: `${name}@example.com`, password: 'bench-password' },
      }),
    });
    if (!response.ok) throw new Error(`registration failed: ${response.status}`);
    users.push({
      name,
      token: ((await response.json()) as { user: { token: string } }).user.token,
    });
  }
  return users;
}

/** Random follows and unfollows between random users: about half change a row. */
function followLoad(users: { name: string; token: string }[]): () => LoadRequest {
  return () => {
    const actor = users[Math.floor(Math.random() * users.length)];
    let target = users[Math.floor(Math.random() * users.length)];
    if (target === actor) target = users[(users.indexOf(actor) + 1) % users.length];
    return {
      method: Math.random() < 0.5 ? 'POST' : 'DELETE',
      path: `/api/profiles/${target.name}/follow`,
      token: actor.token,
    };
  };
}

const format = (label: string, r: LoadResult) =>
  `| ${label} | ${Math.round(r.requestsPerSecond)} | ${r.p50} | ${r.p99} | ${r.errors} |`;

async function main(): Promise<void> {
  if (!OLD) throw new Error('--old <dir of a build without the outbox> is required');
  // Fresh key prefixes: nothing of an earlier run (throttling blocks, caches) carries over.
  const run = Date.now().toString(36);
  const before = await startBuild(OLD, `bench-old-${run}:`);
  const after = await startBuild(process.cwd(), `bench-new-${run}:`).catch(
    async (error: unknown) => {
      await before.stop();
      throw error;
    },
  );
  const apps = { before, after };
  try {
    await measure(apps);
  } finally {
    await Promise.all([apps.before.stop(), apps.after.stop()]);
  }
}

async function measure(apps: { before: App; after: App }): Promise<void> {
  const users = await registerUsers(apps.after);
  const rows: string[] = [];
  const results = { before: [] as LoadResult[], after: [] as LoadResult[] };
  // One untimed round each: JIT and connection pools warm before anything is measured.
  for (const label of ['before', 'after'] as const)
    await drive(apps[label].url, followLoad(users), { seconds: 2, connections: CONNECTIONS });
  for (let round = 1; round <= ROUNDS; round++) {
    for (const label of ['before', 'after'] as const) {
      const result = await drive(apps[label].url, followLoad(users), {
        seconds: SECONDS,
        connections: CONNECTIONS,
      });
      results[label].push(result);
      rows.push(format(`follow/unfollow ${label} (round ${round})`, result));
    }
  }
  for (const label of ['before', 'after'] as const) {
    const median = (pick: (r: LoadResult) => number) => {
      const sorted = results[label].map(pick).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    };
    rows.push(
      `| **median ${label}** | ${Math.round(median((r) => r.requestsPerSecond))} | ${median((r) => r.p50)} | ${median((r) => r.p99)} | ${results[label].reduce((n, r) => n + r.errors, 0)} |`,
    );
  }
  console.log(`| scenario | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|`);
  console.log(rows.join('\n'));
}

await main();
