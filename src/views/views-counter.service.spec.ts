import { CacheAsideService } from '../cache/cache-aside.service.js';
import { Env } from '../config/env.schema.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { JobSchedulers } from '../queue/job-schedulers.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisLocks } from '../redis/redis-lock.js';
import type { Mocked } from '../test-support/automock.js';
import { fakeHeldLock, type FakeRedisClient } from '../test-support/fake-redis.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { ViewsRepository } from './views.repository.js';
import { ViewsCounter } from './views-counter.service.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const PENDING = keys.pendingViews();
const FLUSHING = keys.flushingViews();

describe('ViewsCounter', () => {
  let sut: ViewsCounter;
  let redis: FakeRedisClient;
  let articles: Mocked<ViewsRepository>;
  let counters: Mocked<UserCountersService>;
  let locks: Mocked<AdvisoryLocks>;
  let cache: Mocked<CacheAsideService>;
  let redisLocks: Mocked<RedisLocks>;
  let lock: ReturnType<typeof fakeHeldLock>;

  beforeEach(() => {
    const service = newTestService(ViewsCounter);
    ({ sut, redis } = service);
    articles = service.mock(ViewsRepository);
    counters = service.mock(UserCountersService);
    locks = service.mock(AdvisoryLocks);
    cache = service.mock(CacheAsideService);
    redisLocks = service.mock(RedisLocks);
    lock = fakeHeldLock();
    redisLocks.tryAcquire.mockResolvedValue(lock);
    counters.writerLock.mockImplementation((id) => ({ key: `counts:${id}`, mode: 'shared' }));
    counters.apply.mockResolvedValue(true);
  });

  describe('record and pending', () => {
    it('counts a view and reads its pending views in one command, never failing the read', async () => {
      redis.countView.mockResolvedValue(4);
      expect(await sut.count(10)).toBe(4);
      expect(redis.countView).toHaveBeenCalledWith(PENDING, FLUSHING, '10');

      redis.countView.mockRejectedValue(new Error('connection lost'));
      expect(await sut.count(10)).toBe(0); // the views of the last flush are shown
    });

    it('adds the views waiting to be flushed and those being flushed', async () => {
      redis.hmGet.mockImplementation((key: string) =>
        Promise.resolve(key === PENDING ? ['2', null] : ['3', '1']),
      );
      expect(await sut.pending([10, 11])).toEqual([5, 1]);
      expect(redis.hmGet).toHaveBeenCalledWith(PENDING, ['10', '11']);
      expect(redis.hmGet).toHaveBeenCalledWith(FLUSHING, ['10', '11']);
    });

    it('counts no pending views when Redis fails', async () => {
      redis.hmGet.mockRejectedValue(new Error('connection lost'));
      expect(await sut.pending([10, 11])).toEqual([0, 0]);
    });
  });

  describe('flush', () => {
    /** Two articles of author 1 and one of author 2, viewed 2, 3 and 4 times. */
    const rows = [
      { id: 10, authorId: 1, delta: 2 },
      { id: 11, authorId: 1, delta: 3 },
      { id: 12, authorId: 2, delta: 4 },
    ];
    const entries = rows.map((row) => ({ field: String(row.id), value: String(row.delta) }));

    beforeEach(() => {
      redis.exists.mockResolvedValue(0);
      redis.rename.mockResolvedValue('OK');
      redis.hScan.mockResolvedValue({ cursor: '0', entries });
      articles.authorsOf.mockResolvedValue([1, 2]);
      articles.addViews.mockResolvedValue(rows);
    });

    it('does nothing when another instance holds the flush lock', async () => {
      redisLocks.tryAcquire.mockResolvedValue(null);
      expect(await sut.flush()).toBe(0);
      expect(redis.rename).not.toHaveBeenCalled();
    });

    it('returns 0 and releases the lock when no view is pending', async () => {
      redis.rename.mockRejectedValue(new Error('ERR no such key'));
      expect(await sut.flush()).toBe(0);
      expect(articles.addViews).not.toHaveBeenCalled();
      expect(lock.release).toHaveBeenCalled();
    });

    it('sets the pending views aside and adds them to Postgres under the authors’ count locks', async () => {
      expect(await sut.flush()).toBe(9);

      expect(redis.rename).toHaveBeenCalledWith(PENDING, FLUSHING);
      expect(locks.run).toHaveBeenCalledWith(
        [
          { key: 'counts:1', mode: 'shared' },
          { key: 'counts:2', mode: 'shared' },
        ],
        expect.any(Function),
      );
      expect(articles.addViews).toHaveBeenCalledWith(expect.anything(), [10, 11, 12], [2, 3, 4]);
      // One delta per author, not per article.
      expect(counters.apply.mock.calls).toEqual([
        [1, { views: 5 }],
        [2, { views: 4 }],
      ]);
      expect(redis.hDel).toHaveBeenCalledWith(FLUSHING, ['10', '11', '12']);
      expect(redis.del).toHaveBeenCalledWith(FLUSHING);
      expect(lock.release).toHaveBeenCalled();
    });

    it('bumps the one cached copy of each article in place, then drops the in-process copies', async () => {
      await sut.flush();
      const copies = rows.map((row) => keys.article(row.id));
      expect(redis.bumpViewsCount.mock.calls).toEqual(
        copies.map((key, i) => [key, RedisKeys.leaseOf(key), rows[i].delta]),
      );
      expect(cache.changedInPlace).toHaveBeenCalledWith(...copies);
      expect(cache.invalidate).not.toHaveBeenCalled();
    });

    it('drops the cached copies when bumping them fails', async () => {
      redis.bumpViewsCount.mockRejectedValue(new Error('connection lost'));
      await sut.flush();
      expect(cache.invalidate).toHaveBeenCalledWith(
        keys.article(10),
        keys.article(11),
        keys.article(12),
      );
    });

    it('flushes a batch a crashed flush left behind before taking new views', async () => {
      redis.exists.mockResolvedValue(1);
      expect(await sut.flush()).toBe(9);
      expect(redis.rename).not.toHaveBeenCalled();
      expect(articles.addViews).toHaveBeenCalled();
    });

    it('walks the set-aside hash chunk by chunk', async () => {
      redis.hScan
        .mockResolvedValueOnce({ cursor: '7', entries: entries.slice(0, 2) })
        .mockResolvedValueOnce({ cursor: '0', entries: entries.slice(2) });
      articles.addViews
        .mockResolvedValueOnce(rows.slice(0, 2))
        .mockResolvedValueOnce(rows.slice(2));
      expect(await sut.flush()).toBe(9);
      expect(redis.hScan).toHaveBeenLastCalledWith(FLUSHING, '7', { COUNT: 1000 });
      expect(articles.addViews).toHaveBeenCalledTimes(2);
    });

    it('keeps the views in Redis for the next flush when Postgres fails', async () => {
      articles.addViews.mockRejectedValue(new Error('connection terminated'));
      await expect(sut.flush()).rejects.toThrow('connection terminated');
      expect(redis.hDel).not.toHaveBeenCalled();
      expect(redis.del).not.toHaveBeenCalled();
      expect(lock.release).toHaveBeenCalled();
    });

    it('stops, keeping the rest, when the flush lock is lost', async () => {
      redis.hScan.mockImplementationOnce(() => {
        lock.lost = true;
        return Promise.resolve({ cursor: '7', entries: entries.slice(0, 2) });
      });
      articles.addViews.mockResolvedValue(rows.slice(0, 2));
      expect(await sut.flush()).toBe(5);
      expect(redis.hScan).toHaveBeenCalledTimes(1);
      expect(redis.del).not.toHaveBeenCalled();
    });
  });

  describe('schedule', () => {
    /** Starts the service and returns the repeat it declared for the views-flush scheduler. */
    const repeatDeclaredBy = (env: Env): unknown => {
      const service = newTestService(ViewsCounter, provide(Env, env));
      const schedulers = service.mock(JobSchedulers);
      service.sut.onModuleInit();
      expect(schedulers.register).toHaveBeenCalledTimes(1);
      const [job] = schedulers.register.mock.calls[0];
      expect(job.id).toBe('views-flush');
      return job.repeat;
    };

    it('declares a repeatable flush every VIEWS_FLUSH_INTERVAL_MS, and removes it at 0', () => {
      expect(repeatDeclaredBy(Object.assign(new Env(), { VIEWS_FLUSH_INTERVAL_MS: 750 }))).toEqual({
        every: 750,
      });
      expect(repeatDeclaredBy(Object.assign(new Env(), { VIEWS_FLUSH_INTERVAL_MS: 0 }))).toBe(
        undefined,
      );
    });
  });
});
