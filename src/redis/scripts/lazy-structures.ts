import { defineScript } from 'redis';

/** The membership changes `applyIfLoaded` performs (command and its arguments after the key). */
export type MembershipChange =
  | ['ZADD', score: string, member: string]
  | ['ZREM', member: string]
  | ['SADD', member: string]
  | ['SREM', member: string];

/** Lazily built structures (follow zsets, favorites sets, count hashes): a missing key means "not built yet", never "empty". */
export const lazyStructureScripts = {
  /**
   * Applies a membership change to a follow zset or favorites set only if that structure is loaded
   * (a missing key means "not built yet", never "empty": a write must not create a partial one),
   * and kills any rebuild lease, so a rebuild that read Postgres before this write cannot swap in a
   * stale copy. KEYS: structure, lease. ARGV: ZADD score member | ZREM member | SADD/SREM member.
   * Returns 1 if applied.
   */
  applyIfLoaded: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      redis.call('DEL', KEYS[2])
      if redis.call('EXISTS', KEYS[1]) == 1 then
        redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2))
        return 1
      end
      return 0`,
    parseCommand(parser, key: string, leaseKey: string, change: MembershipChange) {
      parser.pushKeys([key, leaseKey]);
      parser.push(...change);
    },
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * HINCRBY on a count hash only if it is loaded (a partial hash would read as wrong counts), and
   * kills its rebuild lease. KEYS: hash, lease. ARGV: field, delta. Returns the new value or null.
   */
  hincrIfLoaded: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      redis.call('DEL', KEYS[2])
      if redis.call('EXISTS', KEYS[1]) == 1 then
        return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
      end
      return false`,
    parseCommand(parser, hashKey: string, leaseKey: string, field: string, delta: number) {
      parser.pushKeys([hashKey, leaseKey]);
      parser.push(field, String(delta));
    },
    transformReply: (reply: unknown) => reply as number | null,
  }),

  /**
   * Replaces a hash with freshly computed fields if our rebuild lease still stands.
   * KEYS: hash, lease. ARGV: token, ttl ms (0 = none), field, value, field, value...
   */
  fillHashIfLeaseHeld: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
      redis.call('DEL', KEYS[1], KEYS[2])
      redis.call('HSET', KEYS[1], unpack(ARGV, 3))
      if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
      return 1`,
    parseCommand(
      parser,
      hashKey: string,
      leaseKey: string,
      token: string,
      ttlMs: number,
      fields: string[],
    ) {
      parser.pushKeys([hashKey, leaseKey]);
      parser.push(token, String(ttlMs), ...fields);
    },
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * Swaps a structure built in a scratch key onto the live key if our rebuild lease still stands;
   * otherwise drops the scratch key. The old value is UNLINKed (freed in the background), not
   * overwritten by RENAME, which would free it synchronously.
   * KEYS: scratch, live, lease. ARGV: token. Returns 1 when swapped.
   */
  swapIfLeaseHeld: defineScript({
    NUMBER_OF_KEYS: 3,
    SCRIPT: `
      if redis.call('GET', KEYS[3]) ~= ARGV[1] then
        redis.call('UNLINK', KEYS[1])
        return 0
      end
      redis.call('UNLINK', KEYS[2])
      redis.call('RENAME', KEYS[1], KEYS[2])
      redis.call('DEL', KEYS[3])
      return 1`,
    parseCommand(parser, scratchKey: string, liveKey: string, leaseKey: string, token: string) {
      parser.pushKeys([scratchKey, liveKey, leaseKey]);
      parser.push(token);
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};
