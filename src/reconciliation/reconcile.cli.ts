import { AppModule } from '../app.module.js';
import { runCli, withToolContext } from '../common/cli.js';
import { validateEnv } from '../config/env.schema.js';
import { formatReport } from './reconciliation-report.js';
import { ReconciliationService, type ReconciliationProgress } from './reconciliation.service.js';

const BAR_WIDTH = 30;

/** A textual progress bar on stderr: redrawn in place on a terminal, every 10% otherwise. */
function progressPrinter(): (progress: ReconciliationProgress) => void {
  let lastDecile = -1;
  return ({ usersScanned, lastUserId, maxUserId }) => {
    const ratio = maxUserId === 0 ? 1 : Math.min(lastUserId / maxUserId, 1);
    const filled = Math.round(ratio * BAR_WIDTH);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(ratio * 100)
      .toString()
      .padStart(3)}% ${usersScanned} users`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}`);
    } else if (Math.floor(ratio * 10) > lastDecile) {
      lastDecile = Math.floor(ratio * 10);
      process.stderr.write(`${line}\n`);
    }
  };
}

/**
 * `npm run reconcile`: one reconciliation run from the command line, with a progress bar (stderr)
 * and the report (stdout). It takes the same cluster-wide lock as the scheduled job, so it is safe
 * to run beside live instances. Exit codes: 0 done, 1 failed, 2 another run holds the lock.
 */
const USAGE = `usage: npm run reconcile

Runs one reconciliation now: recomputes every registered count (articles, followers, following,
likes, views) from Postgres into the Redis hashes and leaderboards, checks a sample of feed
timelines (RECONCILE_TIMELINE_SAMPLE; wrong ones are dropped), and prints what it corrected.
Progress goes to stderr, the report to stdout. Takes the same cluster-wide lock as the scheduled
job, so it is safe beside running instances. Exit codes: 0 done, 1 failed, 2 another run holds
the lock or bad arguments.
  -- --stats   also print one JSON line (stdout, last) with the run's cost: batches, the process'
            RSS when the run started and its peak, and the peak JS heap in use (sampled every
            10 ms with process.memoryUsage); \`npm run bench:reconcile\` reads it.`;

/** Peak process memory while a run goes on, sampled (MB). */
function memorySampler(): {
  stop: () => { rssAtStartMb: number; peakRssMb: number; peakHeapUsedMb: number };
} {
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const first = process.memoryUsage();
  let peakRss = first.rss;
  let peakHeap = first.heapUsed;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return { rssAtStartMb: mb(first.rss), peakRssMb: mb(peakRss), peakHeapUsedMb: mb(peakHeap) };
    },
  };
}

runCli({
  name: 'reconcile',
  usage: USAGE,
  async run(args) {
    const stray = args.find((arg) => arg !== '--stats');
    if (stray !== undefined) {
      console.error(`unknown argument ${stray}\n${USAGE}`);
      return 2;
    }
    const stats = args.includes('--stats');
    validateEnv(process.env); // fail with the variable's name before booting anything
    // No workers here: this process runs one reconciliation itself and leaves the queues alone.
    return withToolContext(AppModule.forRoot({ env: { QUEUE_WORKERS: 'false' } }), async (app) => {
      const printProgress = progressPrinter();
      let batches = 0;
      const memory = memorySampler();
      const report = await app.get(ReconciliationService).run((progress) => {
        batches += 1;
        printProgress(progress);
      });
      const cost = memory.stop();
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (!report) {
        console.error('another reconciliation run is in progress (lock held); try again later');
        return 2;
      }
      console.log(formatReport(report));
      if (stats) console.log(JSON.stringify({ report, batches, memory: cost }));
      return 0;
    });
  },
});
