import { RecentWrites } from './recent-writes.js';
import { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';

/** A failover replay re-invalidates this many keys per round trip (and releases them per chunk). */
const REPLAY_CHUNK = 500;
/** Pause before a replay chunk the new master did not confirm is tried again. */
const REPLAY_RETRY_MS = 250;

/**
 * After a Redis failover the promoted replica may lack invalidations the old master acknowledged
 * (in flight, or WAIT-confirmed by a replica that was not the one promoted, as in a SENTINEL
 * FAILOVER). This journal remembers every key invalidated within the replay window (by this
 * instance or heard from others on the channel); `replay` holds them all (reads go to Postgres
 * from that moment, synchronously, before any read reaches the new master through this client)
 * and invalidates them again on the new master, chunk by chunk, retried until confirmed; each
 * confirmed chunk is released (cached again) at once.
 */
export class InvalidationReplay {
  private readonly recent: RecentWrites;
  /** Bumped by every failover: a replay still retrying for an older one stops. */
  private failovers = 0;
  private replaying: Promise<void> | undefined;

  constructor(
    windowMs: number,
    private readonly unconfirmed: UnconfirmedInvalidations,
    /** Invalidates keys on the current master: true once a replica confirmed. Never throws. */
    private readonly invalidate: (keys: string[]) => Promise<boolean>,
  ) {
    this.recent = new RecentWrites(windowMs);
  }

  record(keys: string[]): void {
    this.recent.record(keys);
  }

  replay(): void {
    const failover = ++this.failovers;
    const holder = `replay:${failover}:`;
    this.unconfirmed.releaseAll('replay:');
    const keys = this.recent.since();
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += REPLAY_CHUNK)
      chunks.push(keys.slice(i, i + REPLAY_CHUNK));
    chunks.forEach((chunk, i) => this.unconfirmed.hold(`${holder}${i}`, chunk));
    const replay = async () => {
      await this.replaying; // one replay at a time: the older one stops at its next chunk
      let pending = chunks.map((chunk, i) => ({ chunk, holder: `${holder}${i}` }));
      while (pending.length > 0 && failover === this.failovers) {
        const failed: typeof pending = [];
        for (const entry of pending) {
          if (failover !== this.failovers) return;
          // Held past REDIS_FAILOVER_REPLAY_SECONDS (Redis away that long): given up on.
          if (!this.unconfirmed.isHolding(entry.holder)) continue;
          if (await this.invalidate(entry.chunk)) this.unconfirmed.release(entry.holder);
          else failed.push(entry);
        }
        pending = failed;
        if (pending.length > 0)
          await new Promise((resolve) => setTimeout(resolve, REPLAY_RETRY_MS).unref());
      }
    };
    const running: Promise<void> = replay().finally(() => {
      if (this.replaying === running) this.replaying = undefined;
    });
    this.replaying = running;
  }

  /** A replay still retrying stops at its next chunk. */
  stop(): void {
    this.failovers += 1;
  }

  /** Resolves once no replay is running (tests, shutdown). */
  async replayed(): Promise<void> {
    while (this.replaying) await this.replaying;
  }
}
