import { CacheAsideService } from '../cache/cache-aside.service.js';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { LeaderboardNotBuiltError, LiveLeaderboards } from '../counters/live-leaderboards.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import type { PublicProfile } from '../users/public-profile.js';
import { PUBLIC_PROFILES_TAG, UserDirectory } from '../users/user-directory.service.js';
import { RedisKeys } from '../redis/keys.js';
import { LeaderboardsService } from './leaderboards.service.js';

const profile = (id: number, username: string): PublicProfile => ({
  id,
  username,
  bio: `bio of ${username}`,
  image: null,
});
const ANN = profile(4, 'ann');
const BOB = profile(9, 'bob');

describe('LeaderboardsService', () => {
  let sut: LeaderboardsService;
  let boards: Mocked<LiveLeaderboards>;
  let directory: Mocked<UserDirectory>;
  let cache: Mocked<CacheAsideService>;
  let keys: RedisKeys;

  beforeEach(() => {
    const service = newTestService(LeaderboardsService);
    sut = service.sut;
    boards = service.mock(LiveLeaderboards);
    directory = service.mock(UserDirectory);
    cache = service.mock(CacheAsideService);
    keys = service.get(RedisKeys);
    directory.loadManyByIds.mockImplementation((ids) =>
      Promise.resolve(
        new Map([ANN, BOB].filter((p) => ids.includes(p.id)).map((p) => [p.id, p] as const)),
      ),
    );
  });

  describe('page', () => {
    it('ranks the page from the offset, each entry with its user’s profile', async () => {
      boards.leaderboardPage.mockResolvedValue({
        total: 25,
        entries: [
          { userId: 4, score: 12 },
          { userId: 9, score: 12 },
        ],
      });

      expect(await sut.page('likes', 2, 20)).toEqual({
        metric: 'likes',
        limit: 2,
        offset: 20,
        total: 25,
        entries: [
          { rank: 21, score: 12, profile: { username: 'ann', bio: 'bio of ann', image: null } },
          { rank: 22, score: 12, profile: { username: 'bob', bio: 'bio of bob', image: null } },
        ],
      });
      expect(boards.leaderboardPage).toHaveBeenCalledWith('likes', 20, 2);
      // One lookup for the whole page, whatever its size, from Postgres (see pageJson).
      expect(directory.loadManyByIds).toHaveBeenCalledTimes(1);
      expect(directory.loadManyByIds).toHaveBeenCalledWith([4, 9]);
      expect(directory.getManyByIds).not.toHaveBeenCalled();
    });

    it('leaves out deleted users and zero scores, keeping the others’ ranks', async () => {
      boards.leaderboardPage.mockResolvedValue({
        total: 3,
        entries: [
          { userId: 77, score: 5 }, // deleted: reconciliation removes it
          { userId: 4, score: 3 },
          { userId: 9, score: 0 },
        ],
      });

      const page = await sut.page('followers', 10, 0);
      expect(page.entries).toEqual([expect.objectContaining({ rank: 2, score: 3 })]);
      expect(page.total).toBe(3);
    });

    it('answers 503 while the board is being rebuilt after a Redis data loss', async () => {
      boards.leaderboardPage.mockRejectedValue(new LeaderboardNotBuiltError('views'));
      await expect(sut.page('views', 10, 0)).rejects.toThrow(
        new ServiceUnavailableError('the views leaderboard is being rebuilt'),
      );
      expect(directory.loadManyByIds).not.toHaveBeenCalled();
    });

    it('answers 503 when Redis fails (no ranking from Postgres)', async () => {
      boards.leaderboardPage.mockRejectedValue(new Error('connection lost'));
      await expect(sut.page('views', 10, 0)).rejects.toThrow(
        new ServiceUnavailableError('leaderboards are unavailable right now'),
      );
    });
  });

  describe('pageJson', () => {
    beforeEach(() => {
      boards.leaderboardPage.mockResolvedValue({ total: 1, entries: [{ userId: 9, score: 3 }] });
    });

    it('caches the serialized page under the board’s revision and the profiles’ generation', async () => {
      boards.pageVersion.mockResolvedValue('1700000000000042.5');
      const json = await sut.pageJson('followers', 10, 30);
      expect(JSON.parse(json)).toEqual(await sut.page('followers', 10, 30));
      expect(boards.pageVersion).toHaveBeenCalledWith('followers', [PUBLIC_PROFILES_TAG]);
      expect(cache.get).toHaveBeenCalledWith(
        keys.leaderboardPage('followers', '1700000000000042.5', 30, 10),
        expect.any(Function),
        expect.objectContaining({ name: 'leaderboard-page' }),
      );
    });

    it('answers a cached page as it is, without reading the board or the profiles', async () => {
      boards.pageVersion.mockResolvedValue('7.1');
      cache.get.mockResolvedValue('{"cached":true}');
      expect(await sut.pageJson('followers', 10, 0)).toBe('{"cached":true}');
      expect(boards.leaderboardPage).not.toHaveBeenCalled();
      expect(directory.loadManyByIds).not.toHaveBeenCalled();
    });

    it('renders without caching a board that has no revision yet', async () => {
      boards.pageVersion.mockResolvedValue(null);
      expect(JSON.parse(await sut.pageJson('followers', 10, 0))).toMatchObject({ total: 1 });
      expect(cache.get).not.toHaveBeenCalled();
    });

    it('answers 503 when the version cannot be read, with nothing served from the cache', async () => {
      boards.pageVersion.mockRejectedValueOnce(new LeaderboardNotBuiltError('views'));
      await expect(sut.pageJson('views', 10, 0)).rejects.toThrow(
        new ServiceUnavailableError('the views leaderboard is being rebuilt'),
      );
      boards.pageVersion.mockRejectedValueOnce(new Error('connection lost'));
      await expect(sut.pageJson('views', 10, 0)).rejects.toThrow(
        new ServiceUnavailableError('leaderboards are unavailable right now'),
      );
      expect(cache.get).not.toHaveBeenCalled();
    });
  });
});
