import { defineScript } from 'redis';

type CommandParser = Parameters<Parameters<typeof defineScript>[0]['parseCommand']>[0];

/** KEYS live, next, built, rev (one hash tag); ARGV a number (delta or score) and the member. */
function pushBoardMemberCommand(
  parser: CommandParser,
  liveKey: string,
  nextKey: string,
  builtKey: string,
  revisionKey: string,
  value: number,
  member: string,
): void {
  parser.pushKeys([liveKey, nextKey, builtKey, revisionKey]);
  parser.push(String(value), member);
}

/**
 * Lua: `bumpRevision(key)` moves a board's revision (RedisKeys.leaderboardRevision) to
 * max(revision + 1, Redis' clock in µs). Called by every script that changes a live board, in the
 * same script as the change: a reader that sees the new board sees the new revision. The clock
 * makes it never repeat, even when Redis lost the key (a restart, a flush) while an app instance
 * still holds pages cached under the old numbers: a board changes far less than once per µs.
 * (Lua numbers are doubles: exact up to 2^53, ~285 years of µs.)
 */
const BUMP_REVISION = `
  local function bumpRevision(key)
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
    local revision = tonumber(redis.call('GET', key) or '0') + 1
    if revision < now then revision = now end
    redis.call('SET', key, string.format('%.0f', revision))
  end`;

/** Leaderboard zsets and their staging copies built by reconciliation. */
export const leaderboardScripts = {
  /**
   * Moves one user's score on a leaderboard by a delta, and on its staging copy too while
   * reconciliation is building one (`:next` exists). Without the second write, a delta landing
   * after reconciliation counted that user would be lost when `:next` is renamed onto the live key.
   * The live board moves only while it is built (its `:built` marker exists): a delta on a board
   * that Redis lost would create a partial board (and a -1 for an unfollow). A member whose score
   * reaches 0 or less is removed, so a board holds exactly the users with a count and never a
   * negative score (a delta that finds its member missing means a lost delta: the outbox recount
   * or the next reconciliation restores the exact value).
   * A change of the live board bumps its revision.
   * KEYS: live, next, built, rev (same hash tag). ARGV: delta, member. Returns 1 when `:next` was
   * written too.
   */
  leaderboardIncr: defineScript({
    NUMBER_OF_KEYS: 4,
    SCRIPT: `${BUMP_REVISION}
      if redis.call('EXISTS', KEYS[3]) == 1 then
        if tonumber(redis.call('ZINCRBY', KEYS[1], ARGV[1], ARGV[2])) <= 0 then
          redis.call('ZREM', KEYS[1], ARGV[2])
        end
        bumpRevision(KEYS[4])
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
   * copy while one exists (0 removes the member). The live board's revision moves only when its
   * score did (a recount that finds the score right leaves cached pages alone).
   * KEYS: live, next, built, rev. ARGV: score, member.
   */
  leaderboardSet: defineScript({
    NUMBER_OF_KEYS: 4,
    SCRIPT: `${BUMP_REVISION}
      local function set(key)
        if tonumber(ARGV[1]) > 0 then return redis.call('ZADD', key, 'CH', ARGV[1], ARGV[2])
        else return redis.call('ZREM', key, ARGV[2]) end
      end
      if redis.call('EXISTS', KEYS[3]) == 1 and set(KEYS[1]) > 0 then bumpRevision(KEYS[4]) end
      if redis.call('EXISTS', KEYS[2]) == 1 then set(KEYS[2]) end
      return 1`,
    parseCommand: pushBoardMemberCommand,
    transformReply: (reply: unknown) => reply as number,
  }),

  /**
   * One step of reconciliation's final sweep: ZSCANs a chunk of the live board and counts its
   * members missing from the staging board (they disappear with the swap), skipping `#` sentinels.
   * Server-side, so a sweep sends cursors over the wire instead of every member twice.
   * KEYS: live, next (same hash tag). ARGV: cursor, COUNT hint. Returns [next cursor, members
   * missing, the largest |score| among them] (the score as a string: Lua numbers lose digits).
   */
  leaderboardSweepStep: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      local reply = redis.call('ZSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
      local entries = reply[2]
      local missing, largest = 0, 0
      if #entries > 0 then
        local members = {}
        for i = 1, #entries, 2 do members[#members + 1] = entries[i] end
        -- One ZMSCORE for the chunk: a redis.call per member costs more than the lookup itself.
        local scores = redis.call('ZMSCORE', KEYS[2], unpack(members))
        for j = 1, #members do
          if not scores[j] and string.sub(members[j], 1, 1) ~= '#' then
            missing = missing + 1
            local difference = math.abs(tonumber(entries[j * 2]))
            if difference > largest then largest = difference end
          end
        end
      end
      return { reply[1], missing, string.format('%.17g', largest) }`,
    parseCommand(parser, liveKey: string, nextKey: string, cursor: string, count: number) {
      parser.pushKeys([liveKey, nextKey]);
      parser.push(cursor, String(count));
    },
    transformReply: (reply: unknown) => {
      const [cursor, missing, largest] = reply as [string, number, string];
      return { cursor: String(cursor), missing: Number(missing), largest: Number(largest) };
    },
  }),

  /**
   * Swaps a staging leaderboard onto the live key: drops the `:next` sentinel, then UNLINKs the
   * live board (freed in the background, where RENAME would free it synchronously) and RENAMEs the
   * staging board onto it. Readers see the old board or the new one, never a partial or missing
   * one (unless the new one is truly empty), and marks the board built and bumps its revision.
   * KEYS: next, live, built, rev. ARGV: this run's sentinel member.
   * Returns 1 when swapped, 0 when the staging board is not this run's (expired, or deleted and
   * recreated by another run): swapping a board missing earlier batches would lose counts.
   */
  swapLeaderboard: defineScript({
    NUMBER_OF_KEYS: 4,
    SCRIPT: `${BUMP_REVISION}
      if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
      redis.call('ZREM', KEYS[1], ARGV[1])
      redis.call('UNLINK', KEYS[2])
      if redis.call('EXISTS', KEYS[1]) == 1 then
        redis.call('PERSIST', KEYS[1])
        redis.call('RENAME', KEYS[1], KEYS[2])
      end
      redis.call('SET', KEYS[3], '1')
      bumpRevision(KEYS[4])
      return 1`,
    parseCommand(
      parser,
      nextKey: string,
      liveKey: string,
      builtKey: string,
      revisionKey: string,
      sentinel: string,
    ) {
      parser.pushKeys([nextKey, liveKey, builtKey, revisionKey]);
      parser.push(sentinel);
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};
