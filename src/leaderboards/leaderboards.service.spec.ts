import { ServiceUnavailableError } from '../common/domain-error.js';
import { LeaderboardNotBuiltError, LiveLeaderboards } from '../counters/live-leaderboards.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import type { PublicProfile } from '../users/public-profile.js';
import { UserDirectory } from '../users/user-directory.service.js';
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

  beforeEach(() => {
    const service = newTestService(LeaderboardsService);
    sut = service.sut;
    boards = service.mock(LiveLeaderboards);
    directory = service.mock(UserDirectory);
    directory.getManyByIds.mockImplementation((ids) =>
      Promise.resolve(new Map(ids.map((id) => [id, [ANN, BOB].find((p) => p.id === id) ?? null]))),
    );
  });

  describe('page', () => {
    it('ranks the page from the offset, each entry with its user’s cached profile', async () => {
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
      // One lookup for the whole page, whatever its size.
      expect(directory.getManyByIds).toHaveBeenCalledTimes(1);
      expect(directory.getManyByIds).toHaveBeenCalledWith([4, 9]);
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
      expect(directory.getManyByIds).not.toHaveBeenCalled();
    });

    it('answers 503 when Redis fails (no ranking from Postgres)', async () => {
      boards.leaderboardPage.mockRejectedValue(new Error('connection lost'));
      await expect(sut.page('views', 10, 0)).rejects.toThrow(
        new ServiceUnavailableError('leaderboards are unavailable right now'),
      );
    });
  });
});
