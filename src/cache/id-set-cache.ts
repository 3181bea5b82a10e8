import { inBackground } from '../database/query-origin.js';
import type { CacheAsideService } from './cache-aside.service.js';
import type { CachePolicy } from './cache-policy.js';

/**
 * One user's set of ids (whom they follow, what they favorited) as one cache-aside entry: the ids
 * as a JSON array under `keyOf(userId)`, in Redis and in the in-process tier, so a viewer's flags
 * for a whole page come from memory without a Redis round trip. The owner's writes evict the entry
 * (a cache key of their outbox row: the writer evicts it after the commit, the relay when the
 * writer could not), and every instance's tier drops it on the invalidation channel, as for any
 * cached entry. A load may answer null: the ids are not kept as one entry (too many), and that
 * answer is cached like any negative entry.
 */
export class IdSetCache {
  /** Sets of the id arrays the tier handed out (dropped with them). */
  private readonly sets = new WeakMap<readonly number[], ReadonlySet<number>>();

  constructor(
    private readonly cache: CacheAsideService,
    private readonly policy: CachePolicy,
    readonly keyOf: (userId: number) => string,
  ) {}

  /** The user's ids: cached, or `load`ed and cached; null when the load declined to list them. */
  get(userId: number, load: () => Promise<number[] | null>): Promise<number[] | null> {
    return this.cache.get(this.keyOf(userId), load, this.policy);
  }

  /**
   * The user's ids as a set when the in-process tier holds them: null when it holds the answer
   * "not kept as one entry", undefined when it holds nothing. The tier hands out one shared array
   * per entry, so the set is built once per entry, not per call.
   */
  heldSet(userId: number): ReadonlySet<number> | null | undefined {
    const ids = this.cache.peek<number[]>(this.keyOf(userId));
    if (!ids) return ids;
    let set = this.sets.get(ids);
    if (!set) {
      set = new Set(ids);
      this.sets.set(ids, set);
    }
    return set;
  }

  /**
   * Fills the entry in the background (once per process at a time, as every `get`), so that the
   * next read finds it in the tier; the load's SQL counts as background work (the caller does not
   * wait for it). Nothing while the tiers cannot answer (caching off, Redis unusable): a load
   * would then run on every call and be thrown away.
   */
  warm(userId: number, load: () => Promise<number[] | null>): void {
    if (!this.cache.usable) return;
    inBackground(() => this.get(userId, load)).catch(() => undefined);
  }
}
