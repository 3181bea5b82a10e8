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
the lock or bad arguments.`;

runCli({
  name: 'reconcile',
  usage: USAGE,
  async run(args) {
    if (args.length > 0) {
      console.error(`unknown argument ${args[0]}\n${USAGE}`);
      return 2;
    }
    validateEnv(process.env); // fail with the variable's name before booting anything
    // No workers here: this process runs one reconciliation itself and leaves the queues alone.
    return withToolContext(AppModule.forRoot({ env: { QUEUE_WORKERS: 'false' } }), async (app) => {
      const report = await app.get(ReconciliationService).run(progressPrinter());
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (!report) {
        console.error('another reconciliation run is in progress (lock held); try again later');
        return 2;
      }
      console.log(formatReport(report));
      return 0;
    });
  },
});
