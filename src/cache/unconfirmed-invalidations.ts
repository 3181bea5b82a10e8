/** Upper bound of holders (a long Redis outage under heavy writes): the oldest are dropped first. */
const MAX_HOLDERS = 100_000;

/**
 * Cache keys whose latest invalidation is not known to survive a Redis failover, with who holds
 * them: an outbox row a writer could not confirm (`outbox:<id>`, until some relay applied and
 * deleted it) or a failover replay still under way (`replay:<n>:<chunk>`, until that chunk was
 * confirmed on the new master). While any holder remains, reads of the key on this instance skip
 * Redis and load from Postgres, so nobody (the author included) is served the version the lost
 * invalidation should have removed. Per instance, in memory; see docs/ARCHITECTURE.md for what
 * other instances know.
 */
export class UnconfirmedInvalidations {
  /** key → how many holders hold it. */
  private readonly holders = new Map<string, number>();
  /** holder → its keys and when it took them (insertion order = time order). */
  private readonly held = new Map<string, { keys: string[]; at: number }>();

  /**
   * @param maxHoldMs a holder still there after this long is dropped (a lost release, e.g. a
   *   relay of another instance applied the row while this one could not ask Postgres), so a
   *   forgotten holder costs Postgres reads for a bounded time, not forever.
   */
  constructor(private readonly maxHoldMs: number) {}

  hold(holder: string, keys: string[], now = Date.now()): void {
    if (keys.length === 0 || this.maxHoldMs === 0) return;
    this.release(holder);
    const unique = [...new Set(keys)];
    this.held.set(holder, { keys: unique, at: now });
    for (const key of unique) this.holders.set(key, (this.holders.get(key) ?? 0) + 1);
    if (this.held.size > MAX_HOLDERS) this.release(this.held.keys().next().value!);
  }

  release(holder: string): void {
    const entry = this.held.get(holder);
    if (!entry) return;
    this.held.delete(holder);
    for (const key of entry.keys) {
      const count = (this.holders.get(key) ?? 1) - 1;
      if (count <= 0) this.holders.delete(key);
      else this.holders.set(key, count);
    }
  }

  /** Releases every holder whose name starts with `prefix` (a replay superseded by a newer one). */
  releaseAll(prefix: string): void {
    for (const holder of [...this.held.keys()]) if (holder.startsWith(prefix)) this.release(holder);
  }

  isHolding(holder: string): boolean {
    return this.held.has(holder);
  }

  /**
   * Whether reads of `key` must skip the cache now. Cheap when nothing is held: one size check
   * (no clock read: a list page asks for ~40 keys, and a `now = Date.now()` default ran each time).
   */
  covers(key: string, now?: number): boolean {
    if (this.holders.size === 0) return false;
    this.expire(now ?? Date.now());
    return this.holders.has(key);
  }

  /** How many holders remain (tests and metrics: 0 = every invalidation is confirmed). */
  get size(): number {
    this.expire(Date.now());
    return this.held.size;
  }

  private expire(now: number): void {
    for (const [holder, entry] of this.held) {
      if (now - entry.at <= this.maxHoldMs) break;
      this.release(holder);
    }
  }
}
