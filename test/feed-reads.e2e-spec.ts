import { UserCountersService } from '../src/counters/user-counters.service.js';
import { TimelineStore } from '../src/feed/timeline.store.js';
import { FavoritesStore } from '../src/favorites/favorites.store.js';
import { FollowGraphStore } from '../src/follows/follow-graph.store.js';
import { FollowsService } from '../src/follows/follows.service.js';
import { RedisKeys } from '../src/redis/keys.js';
import { RedisGateway } from '../src/redis/redis-gateway.js';
import { idMember, LOADED_SENTINEL } from '../src/redis/lazy-structure.js';
import { createArticle, registerUser, userId } from './support/factories.js';
import { follow } from './support/feed.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/**
 * The feed page's one-round-trip reads (TimelineStore.newest's MULTI, the scripts hashFields and
 * loadedMembers) and the viewer flags of every page on a real Redis.
 */
describe('feed page reads', () => {
  let t: TestApp;
  let keys: RedisKeys;

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
    keys = t.app.get(RedisKeys);
  });
  afterAll(() => t.close());

  /** A built timeline: the sentinel at `sentinel`, entries [id, createdAtMs]. */
  async function writeTimeline(key: string, sentinel: number, entries: [number, number][]) {
    await t.redis.zAdd(key, [
      { score: sentinel, value: LOADED_SENTINEL },
      ...entries.map(([id, at]) => ({ score: at, value: idMember(id) })),
    ]);
  }

  it('TimelineStore.newest: newest first (ties by id descending), size, sentinel, pending mark, unbuilt keys', async () => {
    const store = t.app.get(TimelineStore);
    const [viewer, trimmed, missing] = [
      keys.timeline(901),
      keys.authorArticles(902),
      keys.timeline(903),
    ];
    await writeTimeline(viewer, 0, [
      [5, 1000],
      [7, 2000],
      [6, 2000],
      [9, 500],
    ]);
    await writeTimeline(trimmed, -1, [[3, 100]]);

    const read = await store.newest([viewer, trimmed, missing], 3, keys.timelinePending(901));
    expect(read.pending).toBe(false);
    // Several keys (to be merged): with their times.
    expect(read.slices).toEqual([
      { ids: [7, 6, 5], timesMs: [2000, 2000, 1000], complete: true, size: 4 },
      { ids: [3], timesMs: [100], complete: false, size: 1 },
      null,
    ]);

    await t.redis.set(keys.timelinePending(901), 'job-1');
    const marked = await store.newest([viewer], 10, keys.timelinePending(901));
    expect(marked.pending).toBe(true);
    // One key: ids only. Asked for more than it holds: every entry, the sentinel never among them.
    expect(marked.slices).toEqual([
      { ids: [7, 6, 5, 9], timesMs: undefined, complete: true, size: 4 },
    ]);
    const alone = await store.newest([trimmed], 1, keys.timelinePending(902));
    expect(alone).toEqual({
      slices: [{ ids: [3], timesMs: undefined, complete: false, size: 1 }],
      pending: false,
    });

    // An empty built timeline is built (not null) and complete.
    await writeTimeline(missing, 0, []);
    const empty = await store.newest([missing], 20, keys.timelinePending(903));
    expect(empty.slices).toEqual([{ ids: [], timesMs: undefined, complete: true, size: 0 }]);
  });

  it('RedisGateway.hashFields: the asked fields of each hash, flat, null where missing', async () => {
    const [a, b, c] = [keys.userCounts(911), keys.userCounts(912), keys.userCounts(913)];
    await t.redis.hSet(a, { articles: '4', followers: '12', likes: '1' });
    await t.redis.hSet(b, { followers: '3' });
    const values = await t.app
      .get(RedisGateway)
      .hashFields('test', [a, b, c], ['articles', 'followers']);
    expect(values).toEqual(['4', '12', null, '3', null, null]);
  });

  it('UserCountersService.columns: loaded hashes as they are, a missing one filled from Postgres', async () => {
    const counters = t.app.get(UserCountersService);
    const author = await registerUser(t);
    const reader = await registerUser(t);
    await follow(t, reader, author);
    await createArticle(t, author.token, { title: 'one' });
    await createArticle(t, author.token, { title: 'two' });
    const authorId = await userId(t, author.username);
    const readerId = await userId(t, reader.username);
    // One key per DEL: the two hashes live in different hash slots on Cluster.
    await t.redis.del(keys.userCounts(authorId));
    await t.redis.del(keys.userCounts(readerId));

    expect(await counters.columns([authorId, readerId], ['articles', 'followers'])).toEqual([
      [2, 0],
      [1, 0],
    ]);
    // Filled: the hash now holds every metric, and the next read needs no Postgres.
    expect(await t.redis.hGet(keys.userCounts(authorId), 'articles')).toBe('2');
    const queries = await t.sqlDuring(() =>
      counters.columns([authorId, readerId], ['articles', 'following']),
    );
    expect(queries).toBe(0);
    expect(await counters.columns([authorId, readerId], ['articles', 'following'])).toEqual([
      [2, 0],
      [0, 1],
    ]);
  });

  it('FollowGraphStore.members: null when not loaded, the ids without the sentinel when loaded', async () => {
    const graph = t.app.get(FollowGraphStore);
    const key = keys.following(921);
    expect(await graph.members(921, 'following')).toBeNull();
    await t.redis.zAdd(key, [
      { score: 0, value: LOADED_SENTINEL },
      { score: 2000, value: idMember(31) },
      { score: 1000, value: idMember(30) },
    ]);
    expect(await graph.members(921, 'following')).toEqual([30, 31]);
    await t.redis.zRem(key, [idMember(30), idMember(31)]);
    expect(await graph.members(921, 'following')).toEqual([]);
  });

  it('viewer flags: favorites from one SMISMEMBER (null when not loaded), following from the held followees', async () => {
    const favorites = t.app.get(FavoritesStore);
    const loaded = keys.favorites(932);
    await t.redis.sAdd(loaded, [LOADED_SENTINEL, idMember(931)]);
    expect(await favorites.flags(932, [931, 930, 931])).toEqual([true, false, true]);
    expect(await favorites.flags(933, [931])).toBeNull();
    // Loaded and empty (only the sentinel) is not "not loaded".
    await t.redis.sRem(loaded, idMember(931));
    expect(await favorites.flags(932, [931])).toEqual([false]);

    // A feed reader's followees are in the in-process tier: their following flags ask no one,
    // and a follow (evicting them on every instance) shows on the next read.
    const reader = await registerUser(t);
    const [a, b] = [await registerUser(t), await registerUser(t)];
    await follow(t, reader, a);
    const [readerId, aId, bId] = await Promise.all(
      [reader, a, b].map((user) => userId(t, user.username)),
    );
    const follows = t.app.get(FollowsService);
    await follows.followeeIds(readerId);
    // Without its following zset, an answer not from the tier would need Postgres.
    await t.redis.del(keys.following(readerId));
    let flags: boolean[] = [];
    const queries = await t.sqlDuring(async () => {
      flags = await follows.followingFlags(readerId, [aId, bId]);
    });
    expect({ flags, queries }).toEqual({ flags: [true, false], queries: 0 });
    await follow(t, reader, b);
    expect(await follows.followingFlags(readerId, [aId, bId])).toEqual([true, true]);
  });
});
