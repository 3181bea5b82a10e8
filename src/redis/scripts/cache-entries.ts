import { defineScript } from 'redis';

/** Scripts on cached entries (cache-aside values): lease-guarded fills and in-place patches. */
export const cacheEntryScripts = {
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
