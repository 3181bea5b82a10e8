import { defineScript } from 'redis';

/** Timelines (feed timelines, author article lists) and paging of loaded zsets. */
export const timelineScripts = {
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
   * A follow or unfollow committed: whether the follower's timeline needs its job. Loaded: the
   * pending mark is set (the feed stays on Postgres until the job lifts it) and 1 is returned.
   * Not loaded: its rebuild lease is killed (a build under way may have read the follows before
   * the commit: it must not install) and 0 is returned; the next read builds it from Postgres,
   * after the commit, so no job is needed. KEYS: timeline, lease, pending mark (one slot).
   * ARGV: job id, mark TTL in ms.
   */
  timelineMarkIfLoaded: defineScript({
    NUMBER_OF_KEYS: 3,
    SCRIPT: `
      if redis.call('EXISTS', KEYS[1]) == 0 then
        redis.call('DEL', KEYS[2])
        return 0
      end
      redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
      return 1`,
    parseCommand(
      parser,
      key: string,
      leaseKey: string,
      markKey: string,
      jobId: string,
      ttlMs: number,
    ) {
      parser.pushKeys([key, leaseKey, markKey]);
      parser.push(jobId, String(ttlMs));
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
};
