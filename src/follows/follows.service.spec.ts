import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { OutboxService } from '../outbox/outbox.service.js';
import type { PublicProfile } from '../users/public-profile.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import { encodeCursor } from './cursor.js';
import type { FollowEdge } from './follow-direction.js';
import { FolloweesCache } from './followees-cache.js';
import { FollowGraphStore } from './follow-graph.store.js';
import { CannotFollowSelfError } from './follows.errors.js';
import { FollowsRepository } from './follows.repository.js';
import { FollowsService } from './follows.service.js';

const alice: PublicProfile = { id: 1, username: 'alice', bio: null, image: null };
const bob: PublicProfile = { id: 2, username: 'bob', bio: 'hi', image: null };
/** What FollowsRepository.allEdges streams (its content does not matter here). */
async function* edgeStream(): AsyncGenerator<FollowEdge[]> {
  yield await Promise.resolve([]);
}

describe('FollowsService', () => {
  let sut: FollowsService;
  let follows: Mocked<FollowsRepository>;
  let graph: Mocked<FollowGraphStore>;
  let counters: Mocked<UserCountersService>;
  let locks: Mocked<AdvisoryLocks>;
  let outbox: Mocked<OutboxService>;
  let followees: Mocked<FolloweesCache>;

  beforeEach(() => {
    const service = newTestService(FollowsService);
    sut = service.sut;
    follows = service.mock(FollowsRepository);
    graph = service.mock(FollowGraphStore);
    counters = service.mock(UserCountersService);
    locks = service.mock(AdvisoryLocks);
    outbox = service.mock(OutboxService);
    counters.writerLock.mockImplementation((id) => ({ key: `counts:${id}`, mode: 'shared' }));
    counters.apply.mockResolvedValue(true);
    graph.zsetKey.mockImplementation((id, direction) => `${direction}:${id}`);
    followees = service.mock(FolloweesCache);
    followees.key.mockImplementation((id) => `followees:${id}`);
    graph.applyEdge.mockResolvedValue(undefined);
    graph.follows.mockImplementation((_viewer, ids) => Promise.resolve(ids.map(() => true)));
  });

  describe('follow', () => {
    it('refuses to follow oneself before taking any lock', async () => {
      await expect(sut.follow(alice.id, alice.id)).rejects.toBeInstanceOf(CannotFollowSelfError);
      expect(locks.run).not.toHaveBeenCalled();
      expect(follows.insert).not.toHaveBeenCalled();
    });

    it('locks the pair and both users’ counts, inserts the edge with what the relay must repair', async () => {
      follows.insert.mockResolvedValue({ followedAt: 1000, outboxId: 'row-1' });
      await sut.follow(alice.id, bob.id);

      expect(locks.run).toHaveBeenCalledWith(
        [
          { key: 'follow:1:2', mode: 'exclusive' },
          { key: 'counts:1', mode: 'shared' },
          { key: 'counts:2', mode: 'shared' },
        ],
        expect.any(Function),
      );
      const fx = {
        cacheKeys: ['followees:1'],
        tags: [],
        derivedKeys: ['following:1', 'followers:2'],
        recountUsers: [1, 2],
        jobs: [],
      };
      expect(follows.insert).toHaveBeenCalledWith(expect.anything(), 1, 2, fx);
      expect(outbox.complete).toHaveBeenCalledWith({ id: 'row-1', effects: fx }, true);
    });

    it('records the jobs another module registered for each follow in the same outbox row', async () => {
      follows.insert.mockResolvedValue({ followedAt: 1000, outboxId: 'row-1' });
      const job = { kind: 'timeline', name: 'followed', data: { followerId: 1, followeeId: 2 } };
      sut.registerEdgeJobs((followerId, followeeId, follow) =>
        follow ? [{ ...job, data: { followerId, followeeId } }] : [],
      );
      await sut.follow(alice.id, bob.id);
      expect(follows.insert).toHaveBeenCalledWith(
        expect.anything(),
        1,
        2,
        expect.objectContaining({ jobs: [job] }),
      );
    });

    it('mirrors a new follow into both zsets and moves both users’ counts by +1', async () => {
      follows.insert.mockResolvedValue({ followedAt: 1000, outboxId: 'row-1' });
      await sut.follow(alice.id, bob.id);

      expect(graph.applyEdge).toHaveBeenCalledWith(1, 2, 1000);
      expect(counters.apply).toHaveBeenCalledWith(1, { following: 1 });
      expect(counters.apply).toHaveBeenCalledWith(2, { followers: 1 });
    });

    it('changes nothing in Redis and records nothing when the edge already existed', async () => {
      follows.insert.mockResolvedValue(null);
      await sut.follow(alice.id, bob.id);
      expect(graph.applyEdge).not.toHaveBeenCalled();
      expect(counters.apply).not.toHaveBeenCalled();
      expect(outbox.complete).not.toHaveBeenCalled();
    });

    it('leaves the outbox row to the relay when Redis did not take the edge', async () => {
      follows.insert.mockResolvedValue({ followedAt: 1000, outboxId: 'row-1' });
      graph.applyEdge.mockRejectedValue(new Error('connection lost'));
      await sut.follow(alice.id, bob.id);
      expect(outbox.complete).toHaveBeenCalledWith(expect.objectContaining({ id: 'row-1' }), false);
    });

    it('leaves the outbox row to the relay when a count delta did not land', async () => {
      follows.insert.mockResolvedValue({ followedAt: 1000, outboxId: 'row-1' });
      counters.apply.mockResolvedValueOnce(true).mockResolvedValueOnce(false);
      await sut.follow(alice.id, bob.id);
      expect(outbox.complete).toHaveBeenCalledWith(expect.objectContaining({ id: 'row-1' }), false);
    });
  });

  describe('unfollow', () => {
    it('removes the edge from both zsets and moves both users’ counts by -1', async () => {
      follows.delete.mockResolvedValue('row-2');
      await sut.unfollow(alice.id, bob.id);
      expect(graph.applyEdge).toHaveBeenCalledWith(1, 2, null);
      expect(counters.apply).toHaveBeenCalledWith(1, { following: -1 });
      expect(counters.apply).toHaveBeenCalledWith(2, { followers: -1 });
      expect(outbox.complete).toHaveBeenCalledWith(expect.objectContaining({ id: 'row-2' }), true);
    });

    it('changes nothing when there was no edge', async () => {
      follows.delete.mockResolvedValue(null);
      await sut.unfollow(alice.id, bob.id);
      expect(graph.applyEdge).not.toHaveBeenCalled();
      expect(counters.apply).not.toHaveBeenCalled();
      expect(outbox.complete).not.toHaveBeenCalled();
    });

    it('refuses to unfollow oneself', async () => {
      await expect(sut.unfollow(alice.id, alice.id)).rejects.toBeInstanceOf(CannotFollowSelfError);
      expect(follows.delete).not.toHaveBeenCalled();
    });
  });

  describe('followingFlags', () => {
    it('is all false for an anonymous viewer, without asking Redis', async () => {
      expect(await sut.followingFlags(undefined, [2, 3])).toEqual([false, false]);
      expect(graph.follows).not.toHaveBeenCalled();
    });

    it('answers from the followees the in-process tier holds, asking Redis nothing', async () => {
      followees.heldSet.mockReturnValue(new Set([3]));
      expect(await sut.followingFlags(1, [2, 3])).toEqual([false, true]);
      expect(graph.follows).not.toHaveBeenCalled();
      expect(followees.warm).not.toHaveBeenCalled();
    });

    it('reads the viewer’s zset when loaded, loading the followees entry for the next pages', async () => {
      graph.follows.mockResolvedValue([true, false]);
      expect(await sut.followingFlags(1, [2, 3])).toEqual([true, false]);
      expect(follows.followedAmong).not.toHaveBeenCalled();
      expect(followees.warm.mock.calls.map(([id]) => id)).toEqual([1]);
    });

    it('asks Postgres and rebuilds the zset in the background when it is not loaded', async () => {
      graph.follows.mockResolvedValue(null);
      graph.rebuild.mockResolvedValue(true);
      const stored = edgeStream();
      follows.allEdges.mockReturnValue(stored);
      follows.followedAmong.mockResolvedValue(new Set([3]));
      expect(await sut.followingFlags(1, [2, 3])).toEqual([false, true]);
      expect(follows.allEdges).toHaveBeenCalledWith(1, 'following');
      expect(graph.rebuild).toHaveBeenCalledWith(1, 'following', stored);
    });

    it('asks Postgres when Redis fails', async () => {
      graph.follows.mockRejectedValue(new Error('connection lost'));
      follows.followedAmong.mockResolvedValue(new Set([2]));
      expect(await sut.followingFlags(1, [2, 3])).toEqual([true, false]);
    });
  });

  describe('page', () => {
    const edges = [
      { userId: 3, followedAt: 300 },
      { userId: 2, followedAt: 200 },
    ];

    it('returns a page of ids from the zset with a cursor when one more item exists', async () => {
      graph.page.mockResolvedValue(edges);
      const page = await sut.page(1, 'followers', 1, undefined);
      expect(graph.page).toHaveBeenCalledWith(1, 'followers', 2, undefined);
      expect(page).toEqual({ userIds: [3], nextCursor: encodeCursor(edges[0]) });
    });

    it('has no cursor on the last page', async () => {
      graph.page.mockResolvedValue(edges);
      expect((await sut.page(1, 'followers', 2, undefined)).nextCursor).toBeNull();
    });

    it('rebuilds an unloaded zset from Postgres, then reads it', async () => {
      graph.page.mockResolvedValueOnce(null).mockResolvedValueOnce(edges);
      graph.rebuild.mockResolvedValue(true);
      const stored = edgeStream();
      follows.allEdges.mockReturnValue(stored);
      const page = await sut.page(1, 'following', 5, undefined);
      expect(graph.rebuild).toHaveBeenCalledWith(1, 'following', stored);
      expect(page.userIds).toEqual([3, 2]);
      expect(follows.page).not.toHaveBeenCalled();
    });

    it('pages from Postgres when Redis fails', async () => {
      graph.page.mockRejectedValue(new Error('connection lost'));
      follows.page.mockResolvedValue(edges.slice(1));
      const page = await sut.page(1, 'following', 5, undefined);
      expect(follows.page).toHaveBeenCalledWith(1, 'following', 6, undefined);
      expect(page.userIds).toEqual([2]);
    });
  });
});
