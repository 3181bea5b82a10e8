import { RedisKeys } from './keys.js';

describe('RedisKeys', () => {
  const keys = new RedisKeys('app:');

  it('prefixes every key and keeps ids numeric', () => {
    expect(keys.userProfile(42)).toBe('app:user:{42}:profile');
    expect(keys.following(42)).toBe('app:user:{42}:following');
    expect(keys.leaderboard('followers')).toBe('app:count:{user:followers}');
    expect(keys.session('b3c1')).toBe('app:session:b3c1');
    expect(keys.lock('reconcile')).toBe('app:lock:reconcile');
    expect(keys.onlineUsers()).toBe('app:online:users');
    expect(keys.reconciliationLast()).toBe('app:stats:reconciliation:last');
  });

  it('builds the per-page keys once per id, and the same keys past the memo bound', () => {
    expect(keys.article(7)).toBe('app:article:{7}:full');
    expect(keys.article(7)).toBe(keys.article(7));
    for (let id = 0; id < 60_000; id++) keys.article(id);
    expect(keys.article(7)).toBe('app:article:{7}:full');
    expect(new RedisKeys('other:').article(7)).toBe('other:article:{7}:full');
  });

  it('keeps a leaderboard and its staging copy in one Cluster slot (same hash tag)', () => {
    expect(keys.leaderboardNext('followers')).toBe('app:count:{user:followers}:next');
  });

  it('encodes client-supplied names so they cannot inject separators or hash tags', () => {
    expect(keys.userIdByName('jake')).toBe('app:user:name:jake');
    expect(keys.userIdByName('{x}:y z')).toBe('app:user:name:%7Bx%7D%3Ay%20z');
  });

  it('puts a lease in the same Cluster slot as its key', () => {
    expect(RedisKeys.leaseOf('app:user:1:profile')).toBe('{app:user:1:profile}:lease');
    expect(RedisKeys.leaseOf('app:user:{1}:count')).toBe('app:user:{1}:count:lease');
  });
});
