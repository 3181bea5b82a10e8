import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import { InvalidationChannel } from '../redis/invalidation-channel.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { CachePolicy, decodeEntry } from './cache-policy.js';
import { CacheInvalidation } from './cache-invalidation.js';
import { LeaseFill } from './lease-fill.js';
import { LocalTier } from './local-tier.js';
import { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';

/**
 * Cache-aside over Redis for viewer-independent data, with the protections a hot read path needs:
 * - TTL jitter (no avalanche) and negative entries for missing rows (no penetration);
 * - single-flight: concurrent misses of one key in this process share one load;
 * - a lease per key across instances (SET NX PX): one instance fills, the others wait briefly for
 *   its value; the fill is a compare-and-set on the lease, and `invalidate` deletes the lease, so a
 *   fill that raced a write never stores the stale value;
 * - Redis errors, timeouts and an open circuit never fail a read: the loader (Postgres) answers.
 *   Every Redis call goes through the RedisGateway (time bound, shared circuit breaker, metrics);
 * - an in-process tier (LocalTier) in front of Redis, kept coherent by the invalidation channel:
 *   `invalidate` deletes in Redis and publishes the keys to every instance in one round trip.
 * Values must be JSON-serialisable; `null` from a loader means "no such row".
 */
@Injectable()
export class CacheAsideService implements OnApplicationShutdown {
  private readonly inflight = new Map<string, Promise<unknown>>();

  private readonly invalidation: CacheInvalidation;
  private readonly leases: LeaseFill;

  constructor(
    private readonly redis: RedisGateway,
    private readonly env: Env,
    private readonly metrics: MetricsService,
    private readonly local: LocalTier,
    private readonly channel: InvalidationChannel,
    private readonly unconfirmed: UnconfirmedInvalidations,
  ) {
    this.invalidation = new CacheInvalidation(
      redis,
      local,
      channel,
      unconfirmed,
      env.REDIS_FAILOVER_REPLAY_SECONDS * 1000,
    );
    this.leases = new LeaseFill(redis, local, env.CACHE_LEASE_MS, env.CACHE_LEASE_WAIT_MS);
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
    if (!this.tiersUsable()) {
      this.metrics.countCache(policy.name, 'bypass');
      return load();
    }
    if (this.unconfirmed.covers(key)) {
      // Its invalidation may have died with a failed master: neither tier may answer for it.
      this.metrics.countCache(policy.name, 'unconfirmed_bypass');
      return load();
    }
    const local = this.local.getDecoded<T>(key);
    if (local.found) {
      this.metrics.countCache(
        policy.name,
        local.value === null ? 'local_negative_hit' : 'local_hit',
      );
      return local.value;
    }
    const running = this.inflight.get(key) as Promise<T | null> | undefined;
    if (running) return running;
    const lookup = this.lookup(key, load, policy).finally(() => this.inflight.delete(key));
    this.inflight.set(key, lookup);
    return lookup;
  }

  /**
   * What the in-process tier holds for `key` right now (undefined: nothing it can vouch for),
   * asking Redis nothing and loading nothing: for a caller with a cheaper way to answer when the
   * value is not at hand (a whole cached list read only to answer for a few of its members).
   */
  peek<T>(key: string): T | null | undefined {
    if (!this.tiersUsable() || this.unconfirmed.covers(key)) return undefined;
    const local = this.local.getDecoded<T>(key);
    return local.found ? local.value : undefined;
  }

  /** Whether the tiers may answer now (caching on, Redis usable): a fill would be kept. */
  get usable(): boolean {
    return this.tiersUsable();
  }

  /**
   * Whether the tiers may answer at all now: caching on and Redis usable. A failover the client
   * has seen is noticed first (its listeners hold back the keys whose invalidations it may have
   * lost), so that what a caller trusts next is decided on the current state.
   */
  private tiersUsable(): boolean {
    if (!this.env.CACHE_ENABLED || !this.redis.usable) return false;
    this.redis.noticeFailover();
    return true;
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
    if (!this.tiersUsable()) {
      this.metrics.countCache(policy.name, 'bypass');
      await loadAll(ids);
      return result;
    }
    const remote: K[] = [];
    // Keys of `remote`, built once per id (a key is a string concatenation; a page asks for it up
    // to three times otherwise).
    const remoteKeys: string[] = [];
    const unconfirmed: K[] = [];
    // Counted once per outcome, not per id: a page of 100 ids would otherwise cost 100 updates.
    let localHits = 0;
    let localNegativeHits = 0;
    for (const id of ids) {
      const key = keyOf(id);
      if (this.unconfirmed.covers(key)) {
        unconfirmed.push(id);
        continue;
      }
      const entry = this.local.getDecoded<T>(key);
      if (entry.found) {
        if (entry.value === null) localNegativeHits += 1;
        else localHits += 1;
        result.set(id, entry.value);
      } else {
        remote.push(id);
        remoteKeys.push(key);
      }
    }
    this.metrics.countCache(policy.name, 'local_hit', localHits);
    this.metrics.countCache(policy.name, 'local_negative_hit', localNegativeHits);
    if (unconfirmed.length > 0) {
      this.metrics.countCache(policy.name, 'unconfirmed_bypass', unconfirmed.length);
      await loadAll(unconfirmed);
    }
    if (remote.length === 0) return result;
    const began = this.local.begin();
    let raws: (string | null)[];
    const fromReplica = this.redis.readsGoToReplica;
    try {
      // One MGET: per-command overhead (parsing, the timeout's timer) dominates for 100 small
      // GETs. On Redis Cluster, keys of different users live in different slots: the gateway
      // sends one MGET per slot (node-redis' cluster client does not split MGET by itself).
      raws = await this.redis.mGet('mget', remoteKeys);
    } catch {
      await loadAll(remote);
      return result;
    }
    if (remoteKeys.some((key) => this.heldSinceRead(key))) {
      this.metrics.countCache(policy.name, 'unconfirmed_bypass');
      await loadAll(remote);
      return result;
    }
    const missing: K[] = [];
    remote.forEach((id, index) => {
      const entry = decodeEntry<T>(raws[index]);
      if (entry.found) {
        this.metrics.countCache(policy.name, entry.value === null ? 'negative_hit' : 'hit');
        if (!fromReplica) this.local.set(remoteKeys[index], raws[index]!, began);
        result.set(id, entry.value);
      } else {
        this.metrics.countCache(policy.name, 'miss');
        missing.push(id);
      }
    });
    if (missing.length === 0) return result;
    await this.leases.loadAndFill(
      missing.map(keyOf),
      async () => {
        await loadAll(missing);
        return missing.map((id) => result.get(id) ?? null);
      },
      policy,
      began,
    );
    return result;
  }

  /**
   * Deletes cached entries and their fill leases (a fill that read the database before the write
   * must not store its stale value). True when Redis confirmed; never throws (the gateway counts
   * and logs a failure). Writes call it through the outbox (OutboxService), which keeps retrying
   * until Redis confirms.
   */
  invalidate(...keys: string[]): Promise<boolean> {
    return this.invalidation.invalidate(keys);
  }

  /**
   * Whether values this service returned from the in-process tier are still what it would return
   * now (none invalidated, replaced, evicted or expired since; the tier synced; nothing held
   * back by an unconfirmed invalidation; caching on and Redis usable). For in-process memos built
   * from cached values: valid exactly as long as their ingredients.
   */
  stillCurrent(values: readonly object[]): boolean {
    if (!this.tiersUsable() || this.unconfirmed.size > 0) return false;
    for (const value of values) if (!this.local.holds(value)) return false;
    return true;
  }

  /**
   * The Redis copies of these keys were changed in place (a script patched them, nothing was
   * deleted): only the in-process copies, on every instance, are dropped. Never throws.
   */
  changedInPlace(...keys: string[]): Promise<void> {
    return this.invalidation.changedInPlace(keys);
  }

  private async lookup<T>(
    key: string,
    load: () => Promise<T | null>,
    policy: CachePolicy,
  ): Promise<T | null> {
    const began = this.local.begin();
    let raw: string | null;
    const fromReplica = this.redis.readsGoToReplica;
    try {
      raw = await this.redis.read('get', (redis) => redis.get(key));
    } catch {
      return load();
    }
    if (this.heldSinceRead(key)) {
      this.metrics.countCache(policy.name, 'unconfirmed_bypass');
      return load();
    }
    const cached = decodeEntry<T>(raw);
    if (cached.found) {
      this.metrics.countCache(policy.name, cached.value === null ? 'negative_hit' : 'hit');
      if (!fromReplica) this.local.set(key, raw!, began);
      return cached.value;
    }
    this.metrics.countCache(policy.name, 'miss');

    const leaseKey = RedisKeys.leaseOf(key);
    let token: string | null;
    try {
      token = await this.redis.takeLease('lease', leaseKey, this.env.CACHE_LEASE_MS);
    } catch {
      return load();
    }
    if (token === null) {
      // Another instance is filling this key: give it a moment instead of joining the herd.
      const filled = await this.leases.waitForFill<T>(key);
      if (filled.found) return filled.value;
      return load();
    }
    const value = await load();
    await this.leases.fill(key, leaseKey, token, value, policy, began);
    return value;
  }

  /**
   * Whether `key` became held while its read was in flight: node-redis may route a command that
   * waited for a slot-map discovery to the promoted replica, and the failover is then noticed only
   * here, after the answer. Such an answer is not trusted.
   */
  private heldSinceRead(key: string): boolean {
    this.redis.noticeFailover();
    return this.unconfirmed.covers(key);
  }

  onApplicationShutdown(): void {
    this.invalidation.stop();
  }

  /** Resolves once no failover replay is running (tests, shutdown). */
  async replayed(): Promise<void> {
    await this.invalidation.replayed();
  }
}
