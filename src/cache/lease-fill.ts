import { RedisKeys } from '../redis/keys.js';
import type { RedisGateway } from '../redis/redis-gateway.js';
import { type CachePolicy, decodeEntry, encodeEntry, ttlWithJitterMs } from './cache-policy.js';
import type { LocalTier } from './local-tier.js';

const LEASE_POLL_MS = 15;

/**
 * The two ends of a cache lease: the holder stores its loaded value only while its lease still
 * stands (an invalidation deletes the lease, so a value read before a write never lands), and an
 * instance without the lease waits briefly for the holder's value instead of joining the herd.
 */
export class LeaseFill {
  constructor(
    private readonly redis: RedisGateway,
    private readonly local: LocalTier,
    private readonly leaseMs: number,
    private readonly leaseWaitMs: number,
  ) {}

  /**
   * For keys Redis does not hold: takes their leases first and loads second (an invalidation
   * landing after our read must find, and kill, them), then fills the keys whose lease it got.
   * `load` answers in the order of `keys`.
   */
  async loadAndFill<T>(
    keys: string[],
    load: () => Promise<(T | null)[]>,
    policy: CachePolicy,
    began: number,
  ): Promise<void> {
    const leaseKeys = keys.map((key) => RedisKeys.leaseOf(key));
    const tokens = await this.redis
      .takeLeases('lease', leaseKeys, this.leaseMs)
      .catch(() => keys.map(() => null));
    const values = await load();
    await Promise.all(
      keys.map((key, i) => {
        const token = tokens[i];
        return token === null
          ? Promise.resolve()
          : this.fill(key, leaseKeys[i], token, values[i], policy, began);
      }),
    );
  }

  async fill<T>(
    key: string,
    leaseKey: string,
    token: string,
    value: T | null,
    policy: CachePolicy,
    began: number,
  ): Promise<void> {
    const ttlMs =
      value === null
        ? ttlWithJitterMs(policy.negativeTtlSeconds, policy.negativeJitterSeconds)
        : ttlWithJitterMs(policy.ttlSeconds, policy.jitterSeconds);
    const raw = encodeEntry(value);
    const filled = await this.redis
      .run('fill', (redis) => redis.fillIfLeaseHeld(key, leaseKey, token, raw, ttlMs))
      .catch(() => 0);
    // Lost the lease: a write invalidated the key meanwhile, so the value may be stale.
    if (filled === 1) this.local.set(key, raw, began);
  }

  async waitForFill<T>(key: string): Promise<ReturnType<typeof decodeEntry<T>>> {
    const deadline = Date.now() + this.leaseWaitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      try {
        const entry = decodeEntry<T>(await this.redis.run('get', (redis) => redis.get(key)));
        if (entry.found) return entry;
      } catch {
        break;
      }
    }
    return { found: false };
  }
}
