import { defineScript } from 'redis';

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

/** Probes of one structure, asked together: `memberFlags` sends one call per structure. */
export interface MembershipQuestion {
  key: string;
  kind: 'set' | 'zset';
  members: string[];
}

/** `memberFlags`' answer per probe: 1 member, 0 not a member, -1 the structure is not loaded. */
export type MemberFlag = 1 | 0 | -1;

/** Lazily built structures (follow zsets, favorites sets, count hashes): a missing key means "not built yet", never "empty". */
export const lazyStructureScripts = {
  /**
   * The viewer's flags for a whole page in one command: for each structure, whether each asked
   * member is in it, with one SMISMEMBER or ZMSCORE that also asks the sentinel member '#' (every
   * loaded lazy structure holds it; a missing key means "not built yet"). Answers, flat in the
   * order asked: 1 member, 0 not, -1 the structure is not loaded. A page's flags are two calls
   * (the viewer's following zset and favorites set): Redis spends more per call from Lua than on
   * the lookup itself, so one call per structure, not per member.
   * KEYS: structures. ARGV: per structure, kind ('s' | 'z'), member count, members.
   */
  memberFlags: defineScript({
    SCRIPT: `
      local out = {}
      local at = 1
      for _, key in ipairs(KEYS) do
        local n = tonumber(ARGV[at + 1])
        local command = ARGV[at] == 'z' and 'ZMSCORE' or 'SMISMEMBER'
        local found = redis.call(command, key, '#', unpack(ARGV, at + 2, at + 1 + n))
        -- ZMSCORE answers a score or false, SMISMEMBER 1 or 0.
        local loaded = found[1] ~= false and found[1] ~= 0
        for j = 2, n + 1 do
          if not loaded then
            out[#out + 1] = -1
          elseif found[j] == false or found[j] == 0 then
            out[#out + 1] = 0
          else
            out[#out + 1] = 1
          end
        end
        at = at + 2 + n
      end
      return out`,
    parseCommand(parser, structures: MembershipQuestion[]) {
      parser.push(String(structures.length));
      parser.pushKeys(structures.map((structure) => structure.key));
      for (const { kind, members } of structures)
        parser.push(kind === 'zset' ? 'z' : 's', String(members.length), ...members);
    },
    transformReply: (reply: unknown) => reply as MemberFlag[],
  }),

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
