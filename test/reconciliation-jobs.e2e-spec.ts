import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RedisKeys } from '../src/redis/keys.js';
import { ReconciliationService } from '../src/stats/reconciliation.service.js';
import { RECONCILIATION_JOB } from '../src/stats/reconciliation.scheduler.js';
import { authHeader, registerUser } from './support/factories.js';
import { expectRedisToMatchDb } from './support/reconciliation.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

  it('is not scheduled when RECONCILE_ENABLED=false (the test default)', () => {
    expect(t.app.get(SchedulerRegistry).doesExist('cron', RECONCILIATION_JOB)).toBe(false);
  });

  it('runs on the RECONCILE_CRON schedule when enabled', async () => {
    const keys = t.app.get(RedisKeys);
    await t.redis.zAdd(keys.leaderboard('followers'), { score: 3, value: '777777' });
    const scheduled = await bootApp({ RECONCILE_ENABLED: 'true', RECONCILE_CRON: '* * * * * *' });
    try {
      expect(scheduled.app.get(SchedulerRegistry).doesExist('cron', RECONCILIATION_JOB)).toBe(true);
      const service = scheduled.app.get(ReconciliationService);
      let status = await service.status();
      for (let i = 0; i < 60 && status.lastRun === null; i++) {
        await sleep(100);
        status = await service.status();
      }
      expect(status.lastRun?.metrics.followers?.removed).toBe(1);
    } finally {
      await scheduled.close();
    }
    await expectRedisToMatchDb(t);
  });

  it('npm run reconcile: runs once, progress on stderr, the report table on stdout', async () => {
    const keys = t.app.get(RedisKeys);
    await t.redis.del(keys.leaderboard('following'));
    const { stdout, stderr } = await run(process.execPath, ['dist/stats/reconcile.cli.js'], {
      env: process.env,
    });
    expect(stderr).toMatch(/\[#{30}\] 100% 2 users/);
    expect(stdout).toMatch(/2 users scanned/);
    expect(stdout).toMatch(/^metric\s+added\s+changed\s+removed\s+largest diff$/m);
    expect(stdout).toMatch(/^following\s+1\s+0\s+0\s+1$/m);
    await expectRedisToMatchDb(t);
  }, 30_000);
});
