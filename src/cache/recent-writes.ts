/** Upper bound of remembered keys, so a write burst cannot grow the journal without limit. */
const MAX_ENTRIES = 100_000;

/**
 * The keys this instance invalidated (or tags it bumped) within the last `windowMs`, oldest first.
 * After a Redis failover they are applied again: with asynchronous replication the promoted
 * replica may never have received them, and a lost invalidation would leave a stale entry for a
 * whole TTL. Every instance replays its own, so together they cover every acknowledged write.
 */
export class RecentWrites {
  private readonly writtenAt = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  record(keys: Iterable<string>, now = Date.now()): void {
    if (this.windowMs === 0) return;
    for (const key of keys) {
      // Re-inserting moves the key to the end: the map stays in time order.
      this.writtenAt.delete(key);
      this.writtenAt.set(key, now);
    }
    this.trim(now);
  }

  /** The keys written within the window. */
  since(now = Date.now()): string[] {
    this.trim(now);
    return [...this.writtenAt.keys()];
  }

  private trim(now: number): void {
    for (const [key, at] of this.writtenAt) {
      if (now - at <= this.windowMs && this.writtenAt.size <= MAX_ENTRIES) break;
      this.writtenAt.delete(key);
    }
  }
}
