import { RedisKeys } from '../redis/keys.js';
import type { InvalidationChannel } from '../redis/invalidation-channel.js';
import type { RedisGateway } from '../redis/redis-gateway.js';
import { InvalidationReplay } from './invalidation-replay.js';
import type { LocalTier } from './local-tier.js';
import type { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';

/**
 * The write side of CacheAsideService: deletes entries in Redis and in every instance's
 * in-process tier, and re-applies recent invalidations after a Redis failover.
 */
export class CacheInvalidation {
  private readonly replay: InvalidationReplay;

  constructor(
    private readonly redis: RedisGateway,
    private readonly local: LocalTier,
    private readonly channel: InvalidationChannel,
    unconfirmed: UnconfirmedInvalidations,
    replayWindowMs: number,
  ) {
    this.replay = new InvalidationReplay(replayWindowMs, unconfirmed, (keys) =>
      this.invalidate(keys),
    );
    this.redis.onFailover(() => this.replay.replay());
    // Keys other instances invalidated join the journal too: after a failover this instance then
    // also skips (and re-invalidates) what they wrote, not only its own writes.
    channel.listen({
      invalidated: (keys) => this.replay.record(keys),
      dropped: () => undefined,
      synced: () => undefined,
    });
  }

  /** See CacheAsideService.invalidate. */
  async invalidate(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    this.local.invalidated(keys);
    this.replay.record(keys);
    try {
      // One DEL per key and lease pair (same slot on Cluster), then the broadcast to the other
      // instances' in-process tiers; node-redis pipelines them into one round trip, in that order.
      await Promise.all([
        this.redis.run('invalidate', (redis) =>
          Promise.all(keys.map((key) => redis.del([key, RedisKeys.leaseOf(key)]))),
        ),
        this.channel.publish(keys),
      ]);
      // A DEL only the master has seen dies with it in a failover: confirmed only once a replica
      // acknowledged it (WAIT 1; always standalone), else the outbox applies it again.
      return await this.redis.replicated('invalidate.replicate', keys);
    } catch {
      return false;
    }
  }

  /** See CacheAsideService.changedInPlace. */
  async changedInPlace(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    this.local.invalidated(keys);
    await this.channel.publish(keys).catch(() => undefined);
  }

  /** A failover replay still retrying stops at its next chunk. */
  stop(): void {
    this.replay.stop();
  }

  replayed(): Promise<void> {
    return this.replay.replayed();
  }
}
