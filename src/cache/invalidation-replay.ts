import { RecentWrites } from './recent-writes.js';
import { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';
import { FailoverPasses } from '../redis/failover-passes.js';

/** A failover replay re-invalidates this many keys per round trip (and releases them per chunk). */
const REPLAY_CHUNK = 500;

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
  private readonly passes = new FailoverPasses<{ chunk: string[]; holder: string }>();
  /** Numbers each replay's holds, so a replay releases only its own. */
  private failovers = 0;

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
    const holder = `replay:${++this.failovers}:`;
    this.unconfirmed.releaseAll('replay:');
    const keys = this.recent.since();
    const chunks: { chunk: string[]; holder: string }[] = [];
    for (let i = 0; i < keys.length; i += REPLAY_CHUNK)
      chunks.push({ chunk: keys.slice(i, i + REPLAY_CHUNK), holder: `${holder}${i}` });
    for (const { chunk, holder } of chunks) this.unconfirmed.hold(holder, chunk);
    this.passes.start({
      items: chunks,
      send: async ({ chunk, holder }) => {
        const confirmed = await this.invalidate(chunk);
        if (confirmed) this.unconfirmed.release(holder);
        return confirmed;
      },
      // Held past REDIS_FAILOVER_REPLAY_SECONDS (Redis away that long): given up on.
      keepTrying: ({ holder }) => this.unconfirmed.isHolding(holder),
    });
  }

  /** A replay still retrying stops at its next chunk. */
  stop(): void {
    this.passes.stop();
  }

  /** Resolves once no replay is running (tests, shutdown). */
  replayed(): Promise<void> {
    return this.passes.settled();
  }
}
