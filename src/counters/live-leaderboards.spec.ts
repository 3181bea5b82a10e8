import { RedisKeys } from '../redis/keys.js';
import { fakeMulti, type FakeRedisClient } from '../test-support/fake-redis.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { LeaderboardNotBuiltError, LiveLeaderboards } from './live-leaderboards.js';
import { MetricRegistry, USER_METRICS } from './metric-registry.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const count = () => Promise.resolve(0);

describe('LiveLeaderboards', () => {
  let sut: LiveLeaderboards;
  let redis: FakeRedisClient;

  beforeEach(() => {
    const registry = new MetricRegistry();
    registry.register('followers', count);
    registry.register('likes', count);
    ({ sut, redis } = newTestService(LiveLeaderboards, provide(MetricRegistry, registry)));
  });

  describe('leaderboardPage', () => {
    it('refuses a board that was lost with Redis’ data and is not rebuilt yet', async () => {
      redis.multi.mockReturnValue(fakeMulti([0, [], 0]).chain);
      await expect(sut.leaderboardPage('likes', 0, 10)).rejects.toBeInstanceOf(
        LeaderboardNotBuiltError,
      );
    });

    it('returns the page, highest first, with the board’s size', async () => {
      const page = fakeMulti([1, [{ value: '4', score: 12 }], 30]);
      redis.multi.mockReturnValue(page.chain);
      expect(await sut.leaderboardPage('likes', 20, 10)).toEqual({
        total: 30,
        entries: [{ userId: 4, score: 12 }],
      });
      expect(page.queued).toContainEqual([
        'zRangeWithScores',
        keys.leaderboard('likes'),
        20,
        29,
        { REV: true },
      ]);
    });
  });

  describe('pageVersion', () => {
    it('joins the board’s revision and each tag’s generation (0 when never bumped)', async () => {
      redis.mGet.mockResolvedValue(['1', '1700000000000007']);
      redis.get.mockImplementation((key) =>
        Promise.resolve(key === keys.cacheTag('a') ? '3' : null),
      );
      expect(await sut.pageVersion('likes', ['a', 'b'])).toBe('1700000000000007.3.0');
      expect(redis.mGet).toHaveBeenCalledWith([
        keys.leaderboardBuilt('likes'),
        keys.leaderboardRevision('likes'),
      ]);
    });

    it('has no version for a board without a revision yet, and refuses an unbuilt one', async () => {
      redis.mGet.mockResolvedValue(['1', null]);
      expect(await sut.pageVersion('likes', [])).toBeNull();
      redis.mGet.mockResolvedValue([null, '12']);
      await expect(sut.pageVersion('likes', [])).rejects.toBeInstanceOf(LeaderboardNotBuiltError);
    });
  });

  describe('built markers', () => {
    it('lists the registered metrics whose board is not marked built', async () => {
      redis.exists.mockImplementation((key) =>
        Promise.resolve(key === keys.leaderboardBuilt('followers') ? 1 : 0),
      );
      expect(await sut.unbuiltBoards()).toEqual(['likes']);
    });

    it('unmarks every board, registered or not', async () => {
      await sut.markBoardsUnbuilt();
      expect(redis.del).toHaveBeenCalledWith(
        USER_METRICS.map((metric) => keys.leaderboardBuilt(metric)),
      );
    });
  });
});
