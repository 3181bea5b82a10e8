import { defineScript } from 'redis';

/**
 * Reads of lazily built structures in one command each, where a missing key means "not built
 * yet" (never "empty"): the feed's per-page reads (follow zsets, count hashes).
 */
export const loadedReadScripts = {
  /**
   * Every member of a loaded zset above the sentinel (score 0), in score order; nil when the zset
   * is not loaded. One command instead of EXISTS + ZRANGE BYSCORE. KEYS: zset.
   */
  loadedMembers: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return false end
      return redis.call('ZRANGE', KEYS[1], '(0', '+inf', 'BYSCORE')`,
    parseCommand(parser, zsetKey: string) {
      parser.pushKey(zsetKey);
    },
    transformReply: (reply: unknown) => reply as string[] | null,
  }),

  /**
   * The same fields of many hashes (HMGET each) in one command and one flat reply: for key i,
   * its values of ARGV's fields at i * #ARGV onwards, nil where a field (or the hash) is missing.
   * Its keys may span slots: on Cluster RedisTopologyClient.hashFields splits it per slot.
   * KEYS: hashes. ARGV: fields.
   */
  hashFields: defineScript({
    SCRIPT: `
      local out = {}
      local n = #ARGV
      for i, key in ipairs(KEYS) do
        local values = redis.call('HMGET', key, unpack(ARGV))
        for j = 1, n do out[(i - 1) * n + j] = values[j] end
      end
      return out`,
    parseCommand(parser, hashKeys: string[], fields: string[]) {
      parser.push(String(hashKeys.length));
      parser.pushKeys(hashKeys);
      parser.push(...fields);
    },
    transformReply: (reply: unknown) => reply as (string | null)[],
  }),
};
