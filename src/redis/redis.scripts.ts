import { defineScript } from 'redis';

/**
 * Lua scripts, loaded once per connection and called by SHA (EVALSHA). Every script touches keys
 * of one hash slot only, so the same code runs on Redis Cluster.
 */
export const redisScripts = {
  /**
   * The second half of a cache lease: write the value only while our lease token still stands.
   * An invalidation deletes the lease, so a fill that read the database before a write commits can
   * never put the stale value back ("leases", Scaling Memcache at Facebook, 2013).
   * KEYS: value key, lease key. ARGV: token, value, ttl in ms. Returns 1 when written.
   */
  fillIfLeaseHeld: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      if redis.call('GET', KEYS[2]) == ARGV[1] then
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        redis.call('DEL', KEYS[2])
        return 1
      end
      return 0`,
    parseCommand(
      parser,
      valueKey: string,
      leaseKey: string,
      token: string,
      value: string,
      ttlMs: number,
    ) {
      parser.pushKeys([valueKey, leaseKey]);
      parser.push(token, value, String(ttlMs));
    },
    transformReply: (reply: unknown) => reply as number,
  }),

  /** Releases a lock only if we still own it (compare-and-delete). KEYS: lock. ARGV: token. */
  releaseLock: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: `
      if redis.call('GET', KEYS[1]) == ARGV[1] then
        return redis.call('DEL', KEYS[1])
      end
      return 0`,
    parseCommand(parser, lockKey: string, token: string) {
      parser.pushKey(lockKey);
      parser.push(token);
    },
    transformReply: (reply: unknown) => reply as number,
  }),

  /** Extends a lock's TTL only if we still own it. KEYS: lock. ARGV: token, ttl in ms. */
  extendLock: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: `
      if redis.call('GET', KEYS[1]) == ARGV[1] then
        return redis.call('PEXPIRE', KEYS[1], ARGV[2])
      end
      return 0`,
    parseCommand(parser, lockKey: string, token: string, ttlMs: number) {
      parser.pushKey(lockKey);
      parser.push(token, String(ttlMs));
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};
