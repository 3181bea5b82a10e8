import { jest } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { RedisKeys } from '../redis/keys.js';
import { fakeEntityManager } from '../test-support/fake-database.js';
import { fakeMulti, type FakeRedisClient } from '../test-support/fake-redis.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import type { Mocked } from '../test-support/automock.js';
import { MetricRegistry, type MetricBatchLoader, type MetricLoader } from './metric-registry.js';
import { UserCountersService } from './user-counters.service.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const USER = 7;
const HASH = keys.userCounts(USER);

describe('UserCountersService', () => {
  let sut: UserCountersService;
  let redis: FakeRedisClient;
  let manager: EntityManager;
  let locks: Mocked<AdvisoryLocks>;
  let cache: Mocked<CacheAsideService>;
  let followers: jest.Mock<MetricLoader>;
  let likes: jest.Mock<MetricLoader>;

  beforeEach(() => {
    // The registry is plain in-memory state: the real one, so loaders registered here count.
    const service = newTestService(
      UserCountersService,
      provide(MetricRegistry, new MetricRegistry()),
    );
    ({ sut, redis, manager } = service);
    locks = service.mock(AdvisoryLocks);
    cache = service.mock(CacheAsideService);
    followers = jest.fn<MetricLoader>().mockResolvedValue(3);
    likes = jest.fn<MetricLoader>().mockResolvedValue(5);
    sut.register('followers', followers);
    sut.register('likes', likes);
  });

  describe('get', () => {
    it('answers from a loaded hash without asking Postgres; unregistered metrics count 0', async () => {
      redis.hGetAll.mockResolvedValue({ followers: '10', likes: '2' });
      expect(await sut.get(USER)).toEqual({
        articles: 0,
        followers: 10,
        following: 0,
        likes: 2,
        views: 0,
      });
      expect(redis.hGetAll).toHaveBeenCalledWith(HASH);
      expect(locks.run).not.toHaveBeenCalled();
      expect(followers).not.toHaveBeenCalled();
    });

    it('fills a missing hash from Postgres under the exclusive count lock, on its connection', async () => {
      redis.hGetAll.mockResolvedValue({});
      const fill = fakeMulti();
      redis.multi.mockReturnValue(fill.chain);

      expect(await sut.get(USER)).toMatchObject({ followers: 3, likes: 5 });
      expect(locks.run).toHaveBeenCalledWith(
        [{ key: `user-counts:${USER}`, mode: 'exclusive' }],
        expect.any(Function),
      );
      expect(followers).toHaveBeenCalledWith(USER, manager);
      // The whole hash is replaced at once: never a partial hash that deltas would then move.
      expect(fill.queued).toEqual([
        ['del', HASH],
        ['hSet', HASH, { articles: '0', followers: '3', following: '0', likes: '5', views: '0' }],
      ]);
    });

    it('treats a hash lacking a registered metric as not loaded', async () => {
      redis.hGetAll.mockResolvedValue({ followers: '10' });
      redis.multi.mockReturnValue(fakeMulti().chain);
      expect(await sut.get(USER)).toMatchObject({ followers: 3, likes: 5 });
      expect(likes).toHaveBeenCalledTimes(1);
    });

    it('fills once for concurrent misses of one user (single-flight)', async () => {
      redis.hGetAll.mockResolvedValue({});
      redis.multi.mockReturnValue(fakeMulti().chain);
      const results = await Promise.all([sut.get(USER), sut.get(USER), sut.get(USER)]);
      expect(results.map((counts) => counts.followers)).toEqual([3, 3, 3]);
      expect(locks.run).toHaveBeenCalledTimes(1);
      expect(followers).toHaveBeenCalledTimes(1);
    });

    it('uses the hash another instance filled while this one waited for the lock', async () => {
      redis.hGetAll.mockResolvedValueOnce({}).mockResolvedValueOnce({ followers: '1', likes: '1' });
      expect(await sut.get(USER)).toMatchObject({ followers: 1, likes: 1 });
      expect(followers).not.toHaveBeenCalled();
      expect(redis.multi).not.toHaveBeenCalled();
    });

    it('answers from Postgres, without filling, when Redis fails', async () => {
      redis.hGetAll.mockRejectedValue(new Error('connection lost'));
      expect(await sut.get(USER)).toMatchObject({ followers: 3, likes: 5 });
      expect(locks.run).toHaveBeenCalledWith([], expect.any(Function));
      expect(redis.multi).not.toHaveBeenCalled();
    });

    it('still answers when writing the filled hash fails', async () => {
      redis.hGetAll.mockResolvedValue({});
      redis.multi.mockReturnValue(fakeMulti(new Error('connection lost')).chain);
      expect(await sut.get(USER)).toMatchObject({ followers: 3, likes: 5 });
    });
  });

  describe('columns', () => {
    const OTHER = 8;

    it('reads only the asked fields of every hash in one command; unregistered metrics count 0', async () => {
      redis.hashFields.mockResolvedValue(['10', null, '4', '1']);
      expect(await sut.columns([USER, OTHER], ['followers', 'articles'])).toEqual([
        [10, 4],
        [0, 1],
      ]);
      expect(redis.hashFields).toHaveBeenCalledTimes(1);
      expect(redis.hashFields).toHaveBeenCalledWith(
        [HASH, keys.userCounts(OTHER)],
        ['followers', 'articles'],
      );
      expect(locks.run).not.toHaveBeenCalled();
    });

    it('fills a user whose hash lacks an asked registered metric, and only that user', async () => {
      redis.hashFields.mockResolvedValue(['10', '2', null, null]);
      redis.hGetAll.mockResolvedValue({});
      redis.multi.mockReturnValue(fakeMulti().chain);
      expect(await sut.columns([USER, OTHER], ['followers', 'likes'])).toEqual([
        [10, 3],
        [2, 5],
      ]);
      expect(followers).toHaveBeenCalledTimes(1);
      expect(followers).toHaveBeenCalledWith(OTHER, manager);
    });

    it('counts every user from Postgres when Redis fails', async () => {
      redis.hashFields.mockRejectedValue(new Error('connection lost'));
      redis.hGetAll.mockRejectedValue(new Error('connection lost'));
      expect(await sut.columns([USER, OTHER], ['likes'])).toEqual([[5, 5]]);
      expect(locks.run).toHaveBeenCalledWith([], expect.any(Function));
      expect(redis.multi).not.toHaveBeenCalled();
    });
  });

  describe('apply', () => {
    it('moves the hash (only if loaded) and the leaderboard (only if built) by each non-zero delta', async () => {
      expect(await sut.apply(USER, { followers: 1, likes: -2, views: 0 })).toBe(true);
      expect(redis.hincrIfLoaded.mock.calls).toEqual([
        [HASH, RedisKeys.leaseOf(HASH), 'followers', 1],
        [HASH, RedisKeys.leaseOf(HASH), 'likes', -2],
      ]);
      expect(redis.leaderboardIncr.mock.calls).toEqual([
        [
          keys.leaderboard('followers'),
          keys.leaderboardNext('followers'),
          keys.leaderboardBuilt('followers'),
          keys.leaderboardRevision('followers'),
          1,
          String(USER),
        ],
        [
          keys.leaderboard('likes'),
          keys.leaderboardNext('likes'),
          keys.leaderboardBuilt('likes'),
          keys.leaderboardRevision('likes'),
          -2,
          String(USER),
        ],
      ]);
      expect(cache.invalidate).not.toHaveBeenCalled();
    });

    it('on a Redis failure drops the hash and returns false instead of throwing', async () => {
      redis.leaderboardIncr.mockRejectedValue(new Error('connection lost'));
      expect(await sut.apply(USER, { likes: 1 })).toBe(false);
      expect(cache.invalidate).toHaveBeenCalledWith(HASH);
    });
  });

  describe('recount', () => {
    it('recounts under every user’s exclusive count lock on the caller’s connection, then drops the hashes and sets exact scores', async () => {
      const relay = fakeEntityManager();
      followers.mockImplementation((id) => Promise.resolve(id === 1 ? 4 : 0));
      expect(await sut.recount([1, 2], relay)).toBe(true);

      expect(locks.runExclusiveMany).toHaveBeenCalledWith(
        ['user-counts:1', 'user-counts:2'],
        expect.any(Function),
        relay,
      );
      expect(followers).toHaveBeenCalledWith(1, relay);
      const hash1 = keys.userCounts(1);
      expect(redis.del).toHaveBeenCalledWith([hash1, RedisKeys.leaseOf(hash1)]);
      const board = [
        keys.leaderboard('followers'),
        keys.leaderboardNext('followers'),
        keys.leaderboardBuilt('followers'),
        keys.leaderboardRevision('followers'),
      ];
      expect(redis.leaderboardSet).toHaveBeenCalledWith(...board, 4, '1');
      expect(redis.leaderboardSet).toHaveBeenCalledWith(...board, 0, '2');
    });

    it('counts a batch with the metric’s batch loader when it has one; users it leaves out count 0', async () => {
      const batch = jest.fn<MetricBatchLoader>().mockResolvedValue(new Map([[1, 9]]));
      sut.register('likes', likes, batch);
      await sut.recount([1, 2]);
      expect(batch).toHaveBeenCalledWith([1, 2], manager);
      expect(likes).not.toHaveBeenCalled();
      const board = [
        keys.leaderboard('likes'),
        keys.leaderboardNext('likes'),
        keys.leaderboardBuilt('likes'),
        keys.leaderboardRevision('likes'),
      ];
      expect(redis.leaderboardSet).toHaveBeenCalledWith(...board, 9, '1');
      // A user the batch query left out counts 0.
      expect(redis.leaderboardSet).toHaveBeenCalledWith(...board, 0, '2');
    });

    it('does nothing for no users', async () => {
      expect(await sut.recount([])).toBe(true);
      expect(locks.runExclusiveMany).not.toHaveBeenCalled();
    });

    it('returns false when Redis fails (the relay retries)', async () => {
      redis.leaderboardSet.mockRejectedValue(new Error('connection lost'));
      expect(await sut.recount([1])).toBe(false);
    });
  });
});
