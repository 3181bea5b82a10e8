import { cacheEntryScripts } from './cache-entries.js';
import { lazyStructureScripts } from './lazy-structures.js';
import { leaderboardScripts } from './leaderboards.js';
import { loadedReadScripts } from './loaded-reads.js';
import { lockScripts } from './locks.js';
import { timelineScripts } from './timelines.js';
import { viewScripts } from './views.js';

export type { MembershipChange } from './lazy-structures.js';

/**
 * Every Lua script of the app (this folder, one file per family), loaded once per connection and
 * called by SHA (EVALSHA). Every script touches keys of one hash slot only on Redis Cluster:
 * `hashFields`, the script that takes keys of many slots, is split per slot by
 * RedisTopologyClient there.
 */
export const redisScripts = {
  ...cacheEntryScripts,
  ...lockScripts,
  ...leaderboardScripts,
  ...lazyStructureScripts,
  ...timelineScripts,
  ...loadedReadScripts,
  ...viewScripts,
};
