import { defineScript } from 'redis';

type CommandParser = Parameters<Parameters<typeof defineScript>[0]['parseCommand']>[0];

/** KEYS live, next, built (one hash tag); ARGV a number (delta or score) and the member. */
function pushBoardMemberCommand(
  parser: CommandParser,
  liveKey: string,
  nextKey: string,
  builtKey: string,
  value: number,
  member: string,
): void {
  parser.pushKeys([liveKey, nextKey, builtKey]);
  parser.push(String(value), member);
}

/** The membership changes `applyIfLoaded` performs (command and its arguments after the key). */
export type MembershipChange =
  | ['ZADD', score: string, member: string]
  | ['ZREM', member: string]
  | ['SADD', member: string]
  | ['SREM', member: string];

/** One membership question: is `member` in the set or zset `key`? */
export interface MembershipProbe {
  key: string;
  kind: 'set' | 'zset';
  member: string;
}

/** `memberFlags`' answer per probe: 1 member, 0 not a member, -1 the structure is not loaded. */
export type MemberFlag = 1 | 0 | -1;

/**
 * Lua scripts, loaded once per connection and called by SHA (EVALSHA). Every script touches keys
 * of one hash slot only on Redis Cluster: `memberFlags`, the one script that takes keys of many
 * slots, is split per slot by RedisTopologyClient there.
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
  /**
   * Moves one user's score on a leaderboard by a delta, and on its staging copy too while
   * reconciliation is building one (`:next` exists). Without the second write, a delta landing
   * after reconciliation counted that user would be lost when `:next` is renamed onto the live key.
   * The live board moves only while it is built (its `:built` marker exists): a delta on a board
   * that Redis lost would create a partial board (and a -1 for an unfollow). A member whose score
   * reaches 0 or less is removed, so a board holds exactly the users with a count and never a
   * negative score (a delta that finds its member missing means a lost delta: the outbox recount
   * or the next reconciliation restores the exact value).
   * KEYS: live, next, built (same hash tag). ARGV: delta, member. Returns 1 when `:next` was
   * written too.
   */
  leaderboardIncr: defineScript({
    NUMBER_OF_KEYS: 3,
    SCRIPT: `
      if redis.call('EXISTS', KEYS[3]) == 1 then
        if tonumber(redis.call('ZINCRBY', KEYS[1], ARGV[1], ARGV[2])) <= 0 then
          redis.call('ZREM', KEYS[1], ARGV[2])
        end
      end
      if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
      if tonumber(redis.call('ZINCRBY', KEYS[2], ARGV[1], ARGV[2])) <= 0 then
        redis.call('ZREM', KEYS[2], ARGV[2])
      end
      return 1`,
    parseCommand: pushBoardMemberCommand,
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * Sets one user's exact score (recounted from Postgres) on a built leaderboard and on the staging
   * copy while one exists (0 removes the member). KEYS: live, next, built. ARGV: score, member.
   */
  leaderboardSet: defineScript({
    NUMBER_OF_KEYS: 3,
    SCRIPT: `
      local function set(key)
        if tonumber(ARGV[1]) > 0 then redis.call('ZADD', key, ARGV[1], ARGV[2])
        else redis.call('ZREM', key, ARGV[2]) end
      end
      if redis.call('EXISTS', KEYS[3]) == 1 then set(KEYS[1]) end
      if redis.call('EXISTS', KEYS[2]) == 1 then set(KEYS[2]) end
      return 1`,
    parseCommand: pushBoardMemberCommand,
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * Swaps a staging leaderboard onto the live key: drops the `:next` sentinel, then UNLINKs the
   * live board (freed in the background, where RENAME would free it synchronously) and RENAMEs the
   * staging board onto it. Readers see the old board or the new one, never a partial or missing
   * one (unless the new one is truly empty), and marks the board built.
   * KEYS: next, live, built. ARGV: this run's sentinel member.
   * Returns 1 when swapped, 0 when the staging board is not this run's (expired, or deleted and
   * recreated by another run): swapping a board missing earlier batches would lose counts.
   */
  swapLeaderboard: defineScript({
    NUMBER_OF_KEYS: 3,
    SCRIPT: `
      if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
      redis.call('ZREM', KEYS[1], ARGV[1])
      redis.call('UNLINK', KEYS[2])
      if redis.call('EXISTS', KEYS[1]) == 1 then
        redis.call('PERSIST', KEYS[1])
        redis.call('RENAME', KEYS[1], KEYS[2])
      end
      redis.call('SET', KEYS[3], '1')
      return 1`,
    parseCommand(parser, nextKey: string, liveKey: string, builtKey: string, sentinel: string) {
      parser.pushKeys([nextKey, liveKey, builtKey]);
      parser.push(sentinel);
    },
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * The viewer's flags for a whole page in one command: for each probe, whether its member is in
   * its set (SISMEMBER) or zset (ZSCORE). A missing key means "not built yet" (lazy structures
   * always hold a sentinel member), answered -1 so the caller can fall back to Postgres.
   * KEYS: one structure per probe (repeats allowed). ARGV: per probe, kind ('s' | 'z') and member.
   */
  memberFlags: defineScript({
    SCRIPT: `
      local loaded = {}
      local out = {}
      for i, key in ipairs(KEYS) do
        local exists = loaded[key]
        if exists == nil then
          exists = redis.call('EXISTS', key)
          loaded[key] = exists
        end
        local member = ARGV[2 * i]
        if exists == 0 then
          out[i] = -1
        elseif ARGV[2 * i - 1] == 'z' then
          out[i] = redis.call('ZSCORE', key, member) and 1 or 0
        else
          out[i] = redis.call('SISMEMBER', key, member)
        end
      end
      return out`,
    parseCommand(parser, probes: MembershipProbe[]) {
      parser.push(String(probes.length));
      parser.pushKeys(probes.map((probe) => probe.key));
      for (const probe of probes) parser.push(probe.kind === 'zset' ? 'z' : 's', probe.member);
    },
    transformReply: (reply: unknown) => reply as MemberFlag[],
  }),

  /**
   * Applies a membership change to a follow zset or favoriter set only if that structure is loaded
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

  /**
   * Adds entries to a loaded timeline (a feed timeline or an author's article list) and trims it
   * to its newest `max` entries; a trim sets the sentinel's score to -1 ("older entries may be
   * missing"). Kills the rebuild lease, so a rebuild that read Postgres before this write cannot
   * swap in a copy without it. Idempotent: adding the same entries again leaves the same zset.
   * KEYS: timeline, lease. ARGV: max, score, member, score, member... Returns 1 if loaded.
   */
  timelineAdd: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      redis.call('DEL', KEYS[2])
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      if #ARGV > 1 then redis.call('ZADD', KEYS[1], unpack(ARGV, 2)) end
      local excess = redis.call('ZCARD', KEYS[1]) - 1 - tonumber(ARGV[1])
      if excess > 0 then
        redis.call('ZREM', KEYS[1], '#')
        redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1)
        redis.call('ZADD', KEYS[1], -1, '#')
      end
      return 1`,
    parseCommand(
      parser,
      key: string,
      leaseKey: string,
      max: number,
      entries: { score: number; member: string }[],
    ) {
      parser.pushKeys([key, leaseKey]);
      parser.push(String(max), ...entries.flatMap((e) => [String(e.score), e.member]));
    },
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * Removes members from a loaded timeline (no-op when it is not loaded) and kills its rebuild
   * lease. KEYS: timeline, lease. ARGV: members. Returns 1 if loaded.
   */
  timelineRemove: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      redis.call('DEL', KEYS[2])
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      if #ARGV > 0 then redis.call('ZREM', KEYS[1], unpack(ARGV)) end
      return 1`,
    parseCommand(parser, key: string, leaseKey: string, members: string[]) {
      parser.pushKeys([key, leaseKey]);
      parser.push(...members);
    },
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * One page of a loaded follow zset, newest first, strictly after the cursor (score, member).
   * Members are zero-padded ids, so Redis orders equal scores by id (descending under REV), the
   * same order as SQL's "created_at DESC, id DESC"; ties at the cursor's score are filtered here,
   * which costs O(ties at that one score). Score 0 is the "loaded" sentinel and never listed.
   * KEYS: zset. ARGV: limit, cursor score ('' for the first page), cursor member.
   * Returns [member, score, ...] or null when the zset is not loaded.
   */
  zpageDesc: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return false end
      local limit = tonumber(ARGV[1])
      if ARGV[2] == '' then
        return redis.call('ZRANGE', KEYS[1], '+inf', '(0', 'BYSCORE', 'REV', 'LIMIT', 0, limit, 'WITHSCORES')
      end
      local out = {}
      local ties = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[2], 'BYSCORE', 'REV', 'WITHSCORES')
      for i = 1, #ties, 2 do
        if #out >= limit * 2 then break end
        if ties[i] < ARGV[3] then
          out[#out + 1] = ties[i]
          out[#out + 1] = ties[i + 1]
        end
      end
      local missing = limit - #out / 2
      if missing > 0 then
        local rest = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[2], '(0', 'BYSCORE', 'REV', 'LIMIT', 0, missing, 'WITHSCORES')
        for i = 1, #rest do out[#out + 1] = rest[i] end
      end
      return out`,
    parseCommand(
      parser,
      zsetKey: string,
      limit: number,
      cursorScore: string,
      cursorMember: string,
    ) {
      parser.pushKey(zsetKey);
      parser.push(String(limit), cursorScore, cursorMember);
    },
    transformReply: (reply: unknown) => reply as string[] | null,
  }),

  /**
   * Adds a delta to the top-level "viewsCount" number of a cached JSON article in place (keeping
   * its TTL), instead of deleting it: a views flush touches every hot article, and deleting them all
   * would send a wave of misses to Postgres every flush interval. JSON string values escape their
   * quotes, so the unescaped `"viewsCount":` can only be the key. Kills a pending fill's lease (it
   * may have read Postgres before the flush). KEYS: entry, lease. ARGV: delta. Returns 1 if bumped.
   */
  bumpViewsCount: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      redis.call('DEL', KEYS[2])
      local raw = redis.call('GET', KEYS[1])
      if not raw then return 0 end
      local s, e, n = string.find(raw, '"viewsCount":(%-?%d+)')
      if not s then return 0 end
      local bumped = string.sub(raw, 1, s - 1) .. '"viewsCount":' .. (tonumber(n) + tonumber(ARGV[1])) .. string.sub(raw, e + 1)
      redis.call('SET', KEYS[1], bumped, 'KEEPTTL')
      return 1`,
    parseCommand(parser, key: string, leaseKey: string, delta: number) {
      parser.pushKeys([key, leaseKey]);
      parser.push(String(delta));
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};
