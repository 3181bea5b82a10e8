/** Upper bound of remembered entries, so a write burst cannot grow the journal without limit. */
const MAX_ENTRIES = 100_000;

/**
 * What this instance wrote within the last `windowMs`, oldest first, once per key: the keys it
 * invalidated (or tags it bumped), the queue jobs it handed over (by job id, `keyOf`). After a
 * Redis failover they are applied again: with asynchronous replication the promoted replica may
 * never have received them, and a lost invalidation would leave a stale entry for a whole TTL, a
 * lost job a timeline without its article. Every instance replays its own, so together they cover
 * every acknowledged write.
 */
export class RecentWrites<T = string> {
  /** Key -> the value and when it was written; Map order is time order (re-recording moves it). */
  private readonly written = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly keyOf: (value: T) => string = String,
  ) {}

  record(values: Iterable<T>, now = Date.now()): void {
    if (this.windowMs === 0) return;
    for (const value of values) {
      const key = this.keyOf(value);
      // Re-inserting moves the entry to the end: the map stays in time order.
      this.written.delete(key);
      this.written.set(key, { value, at: now });
    }
    this.trim(now);
  }

  /** What was written within the window, oldest first. */
  since(now = Date.now()): T[] {
    this.trim(now);
    return [...this.written.values()].map((entry) => entry.value);
  }

  private trim(now: number): void {
    for (const [key, entry] of this.written) {
      if (now - entry.at <= this.windowMs && this.written.size <= MAX_ENTRIES) break;
      this.written.delete(key);
    }
  }
}
