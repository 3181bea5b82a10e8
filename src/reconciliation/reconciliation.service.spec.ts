import { ServiceUnavailableError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';
import { MetricRegistry } from '../counters/metric-registry.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import { RedisLocks } from '../redis/redis-lock.js';
import type { Mocked } from '../test-support/automock.js';
import { fakeHeldLock, type FakeRedisClient } from '../test-support/fake-redis.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { BatchReconciler } from './batch-reconciler.js';
import { LeaderboardStagingStore } from './leaderboard-staging.store.js';
import { ReconciliationService } from './reconciliation.service.js';
import { TimelineAudit } from '../feed/timeline-audit.service.js';
import { ReconciliationRepository } from './reconciliation.repository.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const METRICS: UserMetric[] = ['followers', 'likes'];
/** Postgres' truth for users 1..3: followers and likes. */
const TRUTH: Record<UserMetric, Record<number, number>> = {
  followers: { 1: 5, 2: 0, 3: 7 },
  likes: { 1: 1, 2: 2, 3: 0 },
  articles: {},
  following: {},
  views: {},
};
/** What Redis holds for them: user 1 right, user 2 missing, user 3 drifted. */
const LIVE_SCORES: Record<number, Partial<Record<UserMetric, number | null>>> = {
  1: { followers: 5, likes: 1 },
  2: { followers: null, likes: null },
  3: { followers: 4, likes: null },
};
const LIVE_HASHES: Record<number, Record<string, string>> = {
  1: { followers: '5', likes: '1' },
  2: {},
  3: { followers: '4', likes: '0' },
};

describe('ReconciliationService', () => {
  let sut: ReconciliationService;
  let redis: FakeRedisClient;
  let counters: Mocked<UserCountersService>;
  let registry: Mocked<MetricRegistry>;
  let users: Mocked<ReconciliationRepository>;
  let staging: Mocked<LeaderboardStagingStore>;
  let advisoryLocks: Mocked<AdvisoryLocks>;
  let redisLocks: Mocked<RedisLocks>;
  let timelineAudit: Mocked<TimelineAudit>;
  let env: Env;
  let metrics: MetricsService;
  let lock: ReturnType<typeof fakeHeldLock>;

  const runs = async (outcome: string) =>
    (await metrics.reconciliationRuns.get()).values.find((v) => v.labels.outcome === outcome)
      ?.value ?? 0;

  beforeEach(() => {
    // Batches of two users: 1 and 2, then 3.
    env = Object.assign(new Env(), { RECONCILE_BATCH_SIZE: 2, RECONCILE_LOCK_TTL_MS: 5000 });
    // The run and its batches together: a real BatchReconciler on the same mocked stores.
    const batches = newTestService(BatchReconciler);
    counters = batches.mock(UserCountersService);
    registry = batches.mock(MetricRegistry);
    staging = batches.mock(LeaderboardStagingStore);
    advisoryLocks = batches.mock(AdvisoryLocks);
    const service = newTestService(
      ReconciliationService,
      provide(Env, env),
      provide(BatchReconciler, batches.sut),
      provide(MetricRegistry, registry),
      provide(LeaderboardStagingStore, staging),
    );
    ({ sut, redis } = service);
    users = service.mock(ReconciliationRepository);
    redisLocks = service.mock(RedisLocks);
    timelineAudit = service.mock(TimelineAudit);
    metrics = service.get(MetricsService);
    lock = fakeHeldLock();

    redisLocks.tryAcquire.mockResolvedValue(lock);
    registry.registeredMetrics.mockReturnValue(METRICS);
    counters.writerLock.mockImplementation((id) => ({ key: `counts:${id}`, mode: 'shared' }));
    registry.countBatch.mockImplementation((ids) =>
      Promise.resolve(
        new Map(METRICS.map((m) => [m, new Map(ids.map((id) => [id, TRUTH[m][id] ?? 0]))])),
      ),
    );
    users.maxUserId.mockResolvedValue(3);
    users.userIdsAfter.mockImplementation((after, limit) =>
      Promise.resolve([1, 2, 3].filter((id) => id > after).slice(0, limit)),
    );
    staging.readBatch.mockImplementation((metrics, ids) =>
      Promise.resolve({
        scores: new Map(metrics.map((m) => [m, ids.map((id) => LIVE_SCORES[id][m] ?? null)])),
        hashes: ids.map((id) => LIVE_HASHES[id]),
      }),
    );
    staging.swap.mockResolvedValue(true);
    staging.discard.mockResolvedValue(undefined);
    // Users 2 and 3 have a timeline.
    timelineAudit.withTimeline.mockImplementation((ids) =>
      Promise.resolve(ids.filter((id) => id !== 1)),
    );
    timelineAudit.check.mockImplementation((ids) =>
      Promise.resolve({ checked: ids.length, drifted: 1 }),
    );
  });

  describe('run', () => {
    it('returns null and counts a skipped run when another instance holds the lock', async () => {
      redisLocks.tryAcquire.mockResolvedValue(null);
      expect(await sut.run()).toBeNull();
      expect(staging.prepare).not.toHaveBeenCalled();
      expect(await runs('skipped')).toBe(1);
    });

    it('answers 503 when Redis cannot say who holds the lock', async () => {
      redisLocks.tryAcquire.mockRejectedValue(new Error('connection lost'));
      await expect(sut.run()).rejects.toBeInstanceOf(ServiceUnavailableError);
    });

    it('counts users in batches under their exclusive count locks and reports progress', async () => {
      const progress: unknown[] = [];
      await sut.run((p) => progress.push(p));

      expect(users.userIdsAfter.mock.calls).toEqual([
        [0, 2],
        [2, 2],
        [3, 2],
      ]);
      expect(advisoryLocks.runExclusiveMany.mock.calls.map(([lockKeys]) => lockKeys)).toEqual([
        ['counts:1', 'counts:2'],
        ['counts:3'],
      ]);
      expect(progress).toEqual([
        { usersScanned: 2, lastUserId: 2, maxUserId: 3 },
        { usersScanned: 3, lastUserId: 3, maxUserId: 3 },
      ]);
    });

    it('rewrites only the hashes that are missing or wrong, and reports the drift per metric', async () => {
      const report = (await sut.run())!;

      expect(staging.writeBatch.mock.calls.map(([ids, , stale]) => [ids, stale])).toEqual([
        [[1, 2], [2]],
        [[3], [3]],
      ]);
      expect(report.usersScanned).toBe(3);
      expect(report.hashes).toEqual({ created: 1, corrected: 1 });
      expect(report.metrics).toEqual({
        // user 3: 4 on the board, 7 in Postgres
        followers: { added: 0, changed: 1, removed: 0, largestDifference: 3 },
        // user 2: 2 likes, missing from the board
        likes: { added: 1, changed: 0, removed: 0, largestDifference: 2 },
      });
    });

    it('builds the new boards beside the live ones and swaps them in, then stores the report', async () => {
      const report = await sut.run();

      const [prepared, token, ttl] = staging.prepare.mock.calls[0];
      expect(prepared).toEqual(METRICS);
      expect(ttl).toBe(10_000); // twice the lock's TTL
      expect(staging.sweepRemoved.mock.calls.map(([metric]) => metric)).toEqual(METRICS);
      expect(staging.swap.mock.calls).toEqual(METRICS.map((metric) => [metric, token]));
      expect(staging.discard).not.toHaveBeenCalled();
      expect(redis.set).toHaveBeenCalledWith(keys.reconciliationLast(), JSON.stringify(report));
      expect(lock.release).toHaveBeenCalled();
      expect(await runs('completed')).toBe(1);
    });

    it('checks the timelines of users that have one, reports and counts them', async () => {
      const report = (await sut.run())!;

      expect(timelineAudit.withTimeline.mock.calls).toEqual([[[1, 2]], [[3]]]);
      expect(timelineAudit.check).toHaveBeenCalledWith([2, 3]);
      expect(report.timelines).toEqual({ checked: 2, drifted: 1 });
      const counted = (await metrics.reconciliationTimelines.get()).values;
      expect(counted.find((v) => v.labels.kind === 'drifted')?.value).toBe(1);
    });

    it('samples no timeline when RECONCILE_TIMELINE_SAMPLE is 0', async () => {
      env.RECONCILE_TIMELINE_SAMPLE = 0;
      timelineAudit.check.mockResolvedValue({ checked: 0, drifted: 0 });

      expect((await sut.run())!.timelines).toEqual({ checked: 0, drifted: 0 });
      expect(timelineAudit.withTimeline).not.toHaveBeenCalled();
      expect(timelineAudit.check).toHaveBeenCalledWith([]);
    });

    it('fails when a staging board is not this run’s (expired or replaced), and discards its boards', async () => {
      staging.swap.mockResolvedValueOnce(true).mockResolvedValueOnce(false);
      await expect(sut.run()).rejects.toThrow(/staging board of likes/);
      expect(staging.discard).toHaveBeenCalledWith(METRICS);
      expect(lock.release).toHaveBeenCalled();
      expect(await runs('failed')).toBe(1);
    });

    it('stops when the lock is lost, leaving the staging boards to the run that holds it now', async () => {
      staging.writeBatch.mockImplementationOnce(() => {
        lock.lost = true;
        return Promise.resolve();
      });
      await expect(sut.run()).rejects.toThrow(/lock was lost/);
      // The batches already in flight (RECONCILE_PARALLEL_BATCHES) when the loss was seen; none
      // after.
      expect(advisoryLocks.runExclusiveMany).toHaveBeenCalledTimes(env.RECONCILE_PARALLEL_BATCHES);
      expect(staging.swap).not.toHaveBeenCalled();
      expect(staging.discard).not.toHaveBeenCalled();
      expect(lock.release).toHaveBeenCalled();
    });
  });

  describe('start', () => {
    it('is refused while another run holds the lock', async () => {
      redisLocks.tryAcquire.mockResolvedValue(null);
      expect(await sut.start()).toBe(false);
    });

    it('runs in the background; shutdown waits for the run to end', async () => {
      expect(await sut.start()).toBe(true);
      await sut.beforeApplicationShutdown();
      expect(staging.swap).toHaveBeenCalledTimes(METRICS.length);
      expect(lock.release).toHaveBeenCalled();
    });
  });

  describe('status', () => {
    it('tells whether a run is going on and returns the last report', async () => {
      redisLocks.isHeld.mockResolvedValue(true);
      redis.get.mockResolvedValue(JSON.stringify({ usersScanned: 3 }));
      expect(await sut.status()).toEqual({ running: true, lastRun: { usersScanned: 3 } });
      expect(redis.get).toHaveBeenCalledWith(keys.reconciliationLast());
    });

    it('answers 503 when Redis is down', async () => {
      redisLocks.isHeld.mockRejectedValue(new Error('connection lost'));
      await expect(sut.status()).rejects.toBeInstanceOf(ServiceUnavailableError);
    });
  });
});
