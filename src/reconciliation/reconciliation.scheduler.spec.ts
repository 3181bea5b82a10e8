import { getQueueToken } from '@nestjs/bullmq';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisLocks } from '../redis/redis-lock.js';
import type { LooseMock, Mocked } from '../test-support/automock.js';
import type { FakeRedisClient } from '../test-support/fake-redis.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { RECONCILE_JOB, STATS_QUEUE } from './reconciliation-queue.js';
import { ReconciliationScheduler } from './reconciliation.scheduler.js';
import { RECONCILIATION_LOCK } from './reconciliation.service.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);

describe('ReconciliationScheduler', () => {
  let sut: ReconciliationScheduler;
  let redis: FakeRedisClient;
  let locks: Mocked<RedisLocks>;
  let queue: LooseMock;

  beforeEach(() => {
    const env = Object.assign(new Env(), { RECONCILE_LOCK_TTL_MS: 5000 });
    const service = newTestService(ReconciliationScheduler, provide(Env, env));
    ({ sut, redis } = service);
    locks = service.mock(RedisLocks);
    queue = service.mock(getQueueToken(STATS_QUEUE));
    locks.isHeld.mockResolvedValue(false);
    redis.set.mockResolvedValue('OK');
  });

  describe('requestRun', () => {
    it('claims the request for four lock TTLs and queues a job that carries the claim', async () => {
      expect(await sut.requestRun()).toBe(true);
      const [key, token, options] = redis.set.mock.calls[0];
      expect(key).toBe(keys.reconciliationRequested());
      expect(options).toEqual({ NX: true, PX: 20_000 });
      expect(queue.add).toHaveBeenCalledWith(
        RECONCILE_JOB,
        { requestToken: token },
        { jobId: `reconcile-request-${token as string}` },
      );
    });

    it('is refused while a run holds the lock', async () => {
      locks.isHeld.mockResolvedValue(true);
      expect(await sut.requestRun()).toBe(false);
      expect(locks.isHeld).toHaveBeenCalledWith(RECONCILIATION_LOCK);
      expect(queue.add).not.toHaveBeenCalled();
    });

    it('is refused while another request is pending', async () => {
      redis.set.mockResolvedValue(null);
      expect(await sut.requestRun()).toBe(false);
      expect(queue.add).not.toHaveBeenCalled();
    });

    it('ends its claim and answers 503 when the job cannot be queued', async () => {
      queue.add.mockRejectedValue(new Error('connection closed'));
      await expect(sut.requestRun()).rejects.toBeInstanceOf(ServiceUnavailableError);
      const token = redis.set.mock.calls[0][1] as string;
      expect(redis.releaseLock).toHaveBeenCalledWith(keys.reconciliationRequested(), token);
    });

    it('answers 503 when Redis cannot tell whether a run is going on', async () => {
      locks.isHeld.mockRejectedValue(new Error('connection lost'));
      await expect(sut.requestRun()).rejects.toBeInstanceOf(ServiceUnavailableError);
    });
  });
});
