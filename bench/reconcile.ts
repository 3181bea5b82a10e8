import pg from 'pg';
import { npmScriptNodeOptions, runNodeScript } from './processes.js';
import { numberOption, optionText, repeatedOption } from './options.js';

/**
 * `npm run bench:reconcile`: what one reconciliation run costs on the seeded database (the large
 * seed for the issue's target: <= 10 s, <= 250 MB). Runs `reconcile.cli.js --stats` of each build
 * given, interleaved round by round (this machine is shared: compare builds within one run), and
 * prints per run: the run's own duration (report), the CLI's wall time (boot included), the
 * process' peak RSS (VmHWM, sampled from /proc by this process), its RSS when the run started, the
 * peak JS heap in use (sampled in the CLI), batches, and the corrections. It fails when a run did
 * not walk every user of the database.
 *
 *   node dist-bench/bench/reconcile.js [--rounds N] [--app-dir DIR ...] [--node-options "..."]
 *
 * `--app-dir` (repeatable) names checkouts whose dist/ to run (default: this one). DATABASE_URL,
 * REDIS_URL and REDIS_KEY_PREFIX as for the app (each build reconciles the same keys in turn).
 */
const ROUNDS = numberOption('--rounds', 2);
const DIRS = repeatedOption('--app-dir');
const BUILDS = DIRS.length > 0 ? DIRS : ['.'];
/** `--node-options "..."` overrides package.json's (e.g. "" to measure V8's default sizing). */
const NODE_OPTIONS =
  optionText('--node-options')?.split(/\s+/).filter(Boolean) ?? npmScriptNodeOptions('reconcile');
try {
  process.loadEnvFile('.env');
} catch {
  // defaults
}
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit';

interface Stats {
  report: {
    durationMs: number;
    usersScanned: number;
    hashes: { created: number; corrected: number };
    metrics: Record<string, { added: number; changed: number; removed: number }>;
  };
  batches: number;
  memory: { rssAtStartMb: number; peakRssMb: number; peakHeapUsedMb: number };
}

async function userCount(): Promise<number> {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  try {
    return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0].n;
  } finally {
    await db.end();
  }
}

async function reconcileOnce(dir: string): Promise<Record<string, string | number>> {
  // Started as `npm run reconcile` starts it (its Node options), with this checkout's options.
  const run = await runNodeScript(
    `${dir}/dist/reconciliation/reconcile.cli.js`,
    ['--stats'],
    { LOG_LEVEL: 'warn' },
    NODE_OPTIONS,
  );
  if (run.code !== 0) throw new Error(`reconcile (${dir}) exited ${run.code}: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  const stats = JSON.parse(lines[lines.length - 1]) as Stats;
  const users = await userCount();
  if (stats.report.usersScanned < users) {
    throw new Error(`the run scanned ${stats.report.usersScanned} users of ${users}`);
  }
  const drift = Object.entries(stats.report.metrics)
    .map(([metric, c]) => `${metric} +${c.added}/~${c.changed}/-${c.removed}`)
    .join(' ');
  return {
    build: dir,
    'run s': (stats.report.durationMs / 1000).toFixed(2),
    'cli s': run.seconds.toFixed(2),
    'peak RSS MB': Math.round(run.peakRssMb),
    'RSS at start MB': stats.memory.rssAtStartMb,
    'peak heap MB': stats.memory.peakHeapUsedMb,
    users: `${stats.report.usersScanned}/${users}`,
    batches: stats.batches,
    hashes: `+${stats.report.hashes.created}/~${stats.report.hashes.corrected}`,
    drift,
  };
}

async function main(): Promise<void> {
  const { loadavg } = await import('node:os');
  console.log(
    `load average at start: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const rows: Record<string, string | number>[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const dir of BUILDS) {
      const row = { round, ...(await reconcileOnce(dir)) };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  console.table(rows);
  console.log(
    `load average at end: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
