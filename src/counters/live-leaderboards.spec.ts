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
