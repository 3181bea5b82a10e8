import { UserCountersService } from '../src/counters/user-counters.service.js';
import { TimelineStore } from '../src/feed/timeline.store.js';
import { FollowGraphStore } from '../src/follows/follow-graph.store.js';
import { RedisKeys } from '../src/redis/keys.js';
import { RedisGateway } from '../src/redis/redis-gateway.js';
import { idMember, LOADED_SENTINEL } from '../src/redis/lazy-structure.js';
import { createArticle, registerUser, userId } from './support/factories.js';
import { follow } from './support/feed.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/**
 * The feed page's one-command reads (scripts timelineNewest, hashFields, loadedMembers) and the
 * viewer flags of every page (memberFlags) on a real Redis.
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
    expect(read.slices).toEqual([
      {
        entries: [
          { id: 7, createdAtMs: 2000 },
          { id: 6, createdAtMs: 2000 },
          { id: 5, createdAtMs: 1000 },
        ],
        complete: true,
        size: 4,
      },
      { entries: [{ id: 3, createdAtMs: 100 }], complete: false, size: 1 },
      null,
    ]);

    await t.redis.set(keys.timelinePending(901), 'job-1');
    const marked = await store.newest([viewer], 10, keys.timelinePending(901));
    expect(marked.pending).toBe(true);
    // Asked for more than it holds: every entry, the sentinel never among them.
    expect(marked.slices[0]?.entries.map((e) => e.id)).toEqual([7, 6, 5, 9]);

    // An empty built timeline is built (not null) and complete.
    await writeTimeline(missing, 0, []);
    const empty = await store.newest([missing], 20, keys.timelinePending(903));
    expect(empty.slices).toEqual([{ entries: [], complete: true, size: 0 }]);
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

  it('memberFlags: 1 or 0 per member of a loaded set or zset, -1 for one not loaded, in probe order', async () => {
    const following = keys.following(931);
    const favoriters = keys.favorites(932);
    const unloaded = keys.favorites(933);
    await t.redis.zAdd(following, [
      { score: 0, value: LOADED_SENTINEL },
      { score: 1000, value: idMember(40) },
    ]);
    await t.redis.sAdd(favoriters, [LOADED_SENTINEL, idMember(931)]);
    const flags = await t.app.get(RedisGateway).memberFlags('test.flags', [
      { key: following, kind: 'zset', member: idMember(40) },
      { key: favoriters, kind: 'set', member: idMember(931) },
      { key: following, kind: 'zset', member: idMember(41) },
      { key: unloaded, kind: 'set', member: idMember(931) },
      { key: favoriters, kind: 'set', member: idMember(930) },
      { key: following, kind: 'zset', member: idMember(40) },
      { key: keys.following(934), kind: 'zset', member: idMember(40) },
    ]);
    expect(flags).toEqual([1, 1, 0, -1, 0, 1, -1]);
    // Loaded and empty (only the sentinel) is not "not loaded".
    await t.redis.zRem(following, idMember(40));
    await t.redis.sRem(favoriters, idMember(931));
    expect(
      await t.app.get(RedisGateway).memberFlags('test.flags', [
        { key: following, kind: 'zset', member: idMember(40) },
        { key: favoriters, kind: 'set', member: idMember(931) },
      ]),
    ).toEqual([0, 0]);
  });
});
