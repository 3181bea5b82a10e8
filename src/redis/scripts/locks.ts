import { defineScript } from 'redis';

/** Token-guarded compare-and-set on single strings: locks (redis-lock.ts) and markers. */
export const lockScripts = {
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

  /** Replaces a string only if it still holds the expected value. KEYS: key. ARGV: old, new. */
  replaceIfEqual: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: `
      if redis.call('GET', KEYS[1]) == ARGV[1] then
        redis.call('SET', KEYS[1], ARGV[2])
        return 1
      end
      return 0`,
    parseCommand(parser, key: string, expected: string, replacement: string) {
      parser.pushKey(key);
      parser.push(expected, replacement);
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};
