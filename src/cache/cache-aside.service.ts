import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { RedisClient } from '../redis/redis.client.js';
import { InjectRedis } from '../redis/redis.constants.js';
import { CachePolicy, decodeEntry, encodeEntry, ttlWithJitterMs } from './cache-policy.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { withTimeout } from '../redis/with-timeout.js';

const LEASE_POLL_MS = 15;
const MAX_PENDING_INVALIDATIONS = 100_000;

/**
 * Cache-aside over Redis for viewer-independent data, with the protections a hot read path needs:
 * - TTL jitter (no avalanche) and negative entries for missing rows (no penetration);
 * - single-flight: concurrent misses of one key in this process share one load;
 * - a lease per key across instances (SET NX PX): one instance fills, the others wait briefly for
 *   its value; the fill is a compare-and-set on the lease, and `invalidate` deletes the lease, so a
 *   fill that raced a write never stores the stale value;
 * - Redis errors, timeouts and an open circuit never fail a read: the loader (Postgres) answers.
 * Values must be JSON-serialisable; `null` from a loader means "no such row".
 */
@Injectable()
export class CacheAsideService {
  private readonly logger = new Logger(CacheAsideService.name);
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly pendingInvalidations = new Set<string>();
  private readonly breaker = new CircuitBreaker();

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly env: Env,
    private readonly metrics: MetricsService,
  ) {
    this.redis.on('ready', () => void this.retryPendingInvalidations());
  }

  /** The configured default policy (CACHE_* variables) under a metric name, with overrides. */
  policy(name: string, overrides: Partial<Omit<CachePolicy, 'name'>> = {}): CachePolicy {
    return {
      name,
      ttlSeconds: this.env.CACHE_TTL_SECONDS,
      jitterSeconds: this.env.CACHE_TTL_JITTER_SECONDS,
      negativeTtlSeconds: this.env.CACHE_NEGATIVE_TTL_SECONDS,
      negativeJitterSeconds: this.env.CACHE_NEGATIVE_TTL_JITTER_SECONDS,
      ...overrides,
    };
  }

  /** Returns the cached value of `key`, or loads it (once per process) and caches it. */
  async get<T>(key: string, load: () => Promise<T | null>, policy: CachePolicy): Promise<T | null> {
    if (!this.env.CACHE_ENABLED || !this.redisUsable()) {
      this.metrics.countCache(policy.name, 'bypass');
      return load();
    }
    const running = this.inflight.get(key) as Promise<T | null> | undefined;
    if (running) return running;
    const lookup = this.lookup(key, load, policy).finally(() => this.inflight.delete(key));
    this.inflight.set(key, lookup);
    return lookup;
  }

  /**
   * Batch form of `get` for hydrating lists: one MGET, one batched load for every miss, then
   * lease-guarded fills.
   */
  async getMany<K, T>(
    ids: K[],
    keyOf: (id: K) => string,
    loadMany: (ids: K[]) => Promise<Map<K, T>>,
    policy: CachePolicy,
  ): Promise<Map<K, T | null>> {
    const result = new Map<K, T | null>();
    if (ids.length === 0) return result;
    const loadAll = async (wanted: K[]) => {
      const loaded = await loadMany(wanted);
      for (const id of wanted) result.set(id, loaded.get(id) ?? null);
      return loaded;
    };
    if (!this.env.CACHE_ENABLED || !this.redisUsable()) {
      this.metrics.countCache(policy.name, 'bypass');
      await loadAll(ids);
      return result;
    }
    let raws: (string | null)[];
    try {
      // One MGET: per-command overhead (parsing, the timeout's timer) dominates for 100 small
      // GETs. On Redis Cluster, keys of different users live in different slots: this becomes
      // one MGET per slot (node-redis' cluster client does not split MGET by itself).
      raws = await this.bounded(this.redis.mGet(ids.map(keyOf)));
      this.breaker.recordSuccess();
    } catch (error) {
      this.redisFailed('mget', error);
      await loadAll(ids);
      return result;
    }
    const missing: K[] = [];
    ids.forEach((id, index) => {
      const entry = decodeEntry<T>(raws[index]);
      if (entry.found) {
        this.metrics.countCache(policy.name, entry.value === null ? 'negative_hit' : 'hit');
        result.set(id, entry.value);
      } else {
        this.metrics.countCache(policy.name, 'miss');
        missing.push(id);
      }
    });
    if (missing.length === 0) return result;
    const tokens = missing.map(() => randomUUID());
    // Leases first, load second: an invalidation landing after our read must find (and kill) them.
    const granted = await Promise.all(
      missing.map((id, i) =>
        this.redis.set(RedisKeys.leaseOf(keyOf(id)), tokens[i], {
          NX: true,
          PX: this.env.CACHE_LEASE_MS,
        }),
      ),
    ).catch((error: unknown) => {
      this.redisFailed('lease', error);
      return missing.map(() => null);
    });
    await loadAll(missing);
    await Promise.all(
      missing.map((id, i) =>
        granted[i] !== 'OK'
          ? Promise.resolve()
          : this.fill(
              keyOf(id),
              RedisKeys.leaseOf(keyOf(id)),
              tokens[i],
              result.get(id) ?? null,
              policy,
            ),
      ),
    );
    return result;
  }

  /**
   * Deletes cached entries (and their fill leases) after a write committed. Never throws: when Redis
   * is unreachable the keys are remembered and deleted as soon as the connection is back.
   */
  async invalidate(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      // One DEL per key and lease pair (same slot on Cluster); node-redis pipelines them.
      await Promise.all(keys.map((key) => this.redis.del([key, RedisKeys.leaseOf(key)])));
      this.breaker.recordSuccess();
    } catch (error) {
      this.redisFailed('invalidate', error);
      for (const key of keys) {
        if (this.pendingInvalidations.size < MAX_PENDING_INVALIDATIONS) {
          this.pendingInvalidations.add(key);
        }
      }
    }
  }

  private async lookup<T>(
    key: string,
    load: () => Promise<T | null>,
    policy: CachePolicy,
  ): Promise<T | null> {
    let raw: string | null;
    try {
      raw = await this.bounded(this.redis.get(key));
      this.breaker.recordSuccess();
    } catch (error) {
      this.redisFailed('get', error);
      return load();
    }
    const cached = decodeEntry<T>(raw);
    if (cached.found) {
      this.metrics.countCache(policy.name, cached.value === null ? 'negative_hit' : 'hit');
      return cached.value;
    }
    this.metrics.countCache(policy.name, 'miss');

    const leaseKey = RedisKeys.leaseOf(key);
    const token = randomUUID();
    let leased: boolean;
    try {
      leased =
        (await this.bounded(
          this.redis.set(leaseKey, token, { NX: true, PX: this.env.CACHE_LEASE_MS }),
        )) === 'OK';
    } catch (error) {
      this.redisFailed('lease', error);
      return load();
    }
    if (!leased) {
      // Another instance is filling this key: give it a moment instead of joining the herd.
      const filled = await this.waitForFill<T>(key);
      if (filled.found) return filled.value;
      return load();
    }
    const value = await load();
    await this.fill(key, leaseKey, token, value, policy);
    return value;
  }

  private async fill<T>(
    key: string,
    leaseKey: string,
    token: string,
    value: T | null,
    policy: CachePolicy,
  ): Promise<void> {
    const ttlMs =
      value === null
        ? ttlWithJitterMs(policy.negativeTtlSeconds, policy.negativeJitterSeconds)
        : ttlWithJitterMs(policy.ttlSeconds, policy.jitterSeconds);
    try {
      await this.redis.fillIfLeaseHeld(key, leaseKey, token, encodeEntry(value), ttlMs);
    } catch (error) {
      this.redisFailed('fill', error);
    }
  }

  private async waitForFill<T>(key: string): Promise<ReturnType<typeof decodeEntry<T>>> {
    const deadline = Date.now() + this.env.CACHE_LEASE_WAIT_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      try {
        const entry = decodeEntry<T>(await this.bounded(this.redis.get(key)));
        if (entry.found) return entry;
      } catch (error) {
        this.redisFailed('get', error);
        break;
      }
    }
    return { found: false };
  }

  /** A Redis read that must not hold the request longer than REDIS_COMMAND_TIMEOUT_MS. */
  private bounded<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.env.REDIS_COMMAND_TIMEOUT_MS);
  }

  private redisUsable(): boolean {
    return this.redis.isReady && !this.breaker.isOpen;
  }

  private redisFailed(operation: string, error: unknown): void {
    this.breaker.recordFailure();
    this.metrics.countRedisError(operation);
    this.logger.warn(`Redis ${operation} failed, serving from Postgres: ${String(error)}`);
  }

  private async retryPendingInvalidations(): Promise<void> {
    if (this.pendingInvalidations.size === 0) return;
    const keys = [...this.pendingInvalidations];
    this.pendingInvalidations.clear();
    this.logger.log(`Redis is back: applying ${keys.length} deferred cache invalidations`);
    await this.invalidate(...keys);
  }
}
