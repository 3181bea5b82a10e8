import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { JobSchedulers } from '../src/queue/job-schedulers.js';
import { RedisKeys } from '../src/redis/keys.js';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service.js';
import {
  RECONCILIATION_SCHEDULER,
  STATS_QUEUE,
} from '../src/reconciliation/reconciliation-queue.js';
import { authHeader, registerUser } from './support/factories.js';
import { expectRedisToMatchDb } from './support/reconciliation.js';
import { pollUntil } from './support/poll.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const run = promisify(execFile);

describe('reconciliation: the scheduled job and `npm run reconcile`', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await t.http().post(`/api/profiles/${b.username}/follow`).set(authHeader(a.token)).expect(200);
  });
  afterAll(async () => {
    await t.close();
  });

  const schedulerOf = (app: TestApp) =>
    app.app.get<Queue>(getQueueToken(STATS_QUEUE)).getJobScheduler(RECONCILIATION_SCHEDULER);

  it('is not scheduled when RECONCILE_ENABLED=false (the test default)', async () => {
    expect(await schedulerOf(t)).toBeUndefined();
  });

  it('runs on the RECONCILE_CRON schedule when enabled (a BullMQ job scheduler)', async () => {
    const keys = t.app.get(RedisKeys);
    await t.redis.zAdd(keys.leaderboard('followers'), { score: 3, value: '777777' });
    const scheduled = await bootApp({ RECONCILE_ENABLED: 'true', RECONCILE_CRON: '* * * * * *' });
    try {
      expect((await schedulerOf(scheduled))?.pattern).toBe('* * * * * *');
      const service = scheduled.app.get(ReconciliationService);
      const status = await pollUntil(
        () => service.status(),
        (s) => s.lastRun !== null,
        20_000,
      );
      expect(status.lastRun?.metrics.followers?.removed).toBe(1);
    } finally {
      await scheduled.close();
    }
    // The schedule lives in Redis: this instance (RECONCILE_ENABLED=false) removes it again, and
    // a run its worker may have taken meanwhile ends before the next test.
    await t.app.get(JobSchedulers).ensureAll();
    expect(await schedulerOf(t)).toBeUndefined();
    const idle = await pollUntil(
      () => t.app.get(ReconciliationService).status(),
      (s) => !s.running,
      20_000,
    );
    expect(idle.running).toBe(false);
    await expectRedisToMatchDb(t);
  });

  it('npm run reconcile: runs once, progress on stderr, the report table on stdout', async () => {
    const keys = t.app.get(RedisKeys);
    await t.redis.del(keys.leaderboard('following'));
    const { stdout, stderr } = await run(
      process.execPath,
      ['dist/reconciliation/reconcile.cli.js'],
      {
        env: process.env,
      },
    );
    expect(stderr).toMatch(/\[#{30}\] 100% 2 users/);
    expect(stdout).toMatch(/2 users scanned/);
    expect(stdout).toMatch(/^metric\s+added\s+changed\s+removed\s+largest diff$/m);
    expect(stdout).toMatch(/^following\s+1\s+0\s+0\s+1$/m);
    await expectRedisToMatchDb(t);
  }, 30_000);
});
