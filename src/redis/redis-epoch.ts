import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RedisKeys } from './keys.js';
import { RedisGateway } from './redis-gateway.js';

/**
 * What a check found:
 * - `unchanged`: the same data as last time;
 * - `flushed`: no epoch marker: Redis restarted empty, was flushed, or is new (everything derived is
 *   gone; a new marker is set);
 * - `server_changed`: the marker survived but the server did not (new run id: a restart from a
 *   snapshot, or a failover to a replica), so recent writes may be missing. Reported to one
 *   instance only (the one that swaps the marker); the others see `reset_elsewhere`;
 * - `reset_elsewhere`: another instance already noticed a loss and set a new marker.
 */
export type EpochCheck = 'unchanged' | 'flushed' | 'server_changed' | 'reset_elsewhere';

/**
 * Detects Redis data loss with two cheap reads: an epoch marker (a random id without TTL, set
 * once) and the server's run id (`INFO server`). Keeps what it saw last in this process.
 */
@Injectable()
export class RedisEpoch {
  private epoch: string | undefined;
  private runId: string | undefined;

  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
  ) {}

  /** Throws when Redis cannot answer (counted and logged by the gateway). */
  async check(): Promise<EpochCheck> {
    const key = this.keys.redisEpoch();
    // The run id of the node holding the marker (on Cluster, INFO without a key hits any node).
    const [marker, info] = await Promise.all([
      this.redis.background('redis.epoch', (redis) => redis.get(key)),
      this.redis.serverInfoOf('redis.epoch', key),
    ]);
    const runId = /run_id:(\w+)/.exec(info)?.[1];
    const previousRunId = this.runId;
    this.runId = runId;
    if (marker === null) {
      const fresh = randomUUID();
      const won = await this.redis.background('redis.epoch', async (redis) => {
        if ((await redis.set(key, fresh, { NX: true })) === 'OK') return fresh;
        return (await redis.get(key)) ?? fresh;
      });
      this.epoch = won;
      return 'flushed';
    }
    if (this.epoch !== undefined && marker !== this.epoch) {
      this.epoch = marker;
      return 'reset_elsewhere';
    }
    if (previousRunId !== undefined && runId !== previousRunId) {
      // Every instance sees the new run id; the one that swaps the marker acts for all.
      const fresh = randomUUID();
      const current = await this.redis.background('redis.epoch', async (redis) =>
        (await redis.replaceIfEqual(key, marker, fresh)) === 1 ? fresh : await redis.get(key),
      );
      this.epoch = current ?? marker;
      return current === fresh ? 'server_changed' : 'reset_elsewhere';
    }
    this.epoch = marker;
    return 'unchanged';
  }
}
