import { jest } from '@jest/globals';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RedisTopologyClient } from '../redis/redis.client.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import type { InvalidationChannel } from '../redis/invalidation-channel.js';
import { FakeStandaloneTopology } from '../redis/standalone-topology.fake.js';
import { CacheAsideService } from './cache-aside.service.js';
import { LocalTier } from './local-tier.js';
import { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';

/** A minimal in-memory stand-in for the topology client and the few calls the service makes. */
class FakeRedis extends FakeStandaloneTopology {
  failing = false;
  readonly store = new Map<string, string>();

  private check(): void {
    if (this.failing) throw new Error('connection lost');
  }
  get(key: string): Promise<string | null> {
    this.check();
    return Promise.resolve(this.store.get(key) ?? null);
  }
  set(key: string, value: string, options: { NX?: boolean }): Promise<string | null> {
    this.check();
    if (options.NX && this.store.has(key)) return Promise.resolve(null);
    this.store.set(key, value);
    return Promise.resolve('OK');
  }
  del(keys: string[]): Promise<number> {
    this.check();
    keys.forEach((key) => this.store.delete(key));
    return Promise.resolve(keys.length);
  }
  fillIfLeaseHeld(key: string, lease: string, token: string, value: string): Promise<number> {
    this.check();
    if (this.store.get(lease) !== token) return Promise.resolve(0);
    this.store.set(key, value);
    this.store.delete(lease);
    return Promise.resolve(1);
  }
}

describe('CacheAsideService', () => {
  let redis: FakeRedis;
  let service: CacheAsideService;
  let unconfirmed: UnconfirmedInvalidations;
  const policy = () => service.policy('test');

  /** The service over `redis`, with these settings. */
  const newService = (env = new Env()): CacheAsideService => {
    const metrics = new MetricsService();
    const gateway = new RedisGateway(
      redis as unknown as RedisTopologyClient,
      { commandTimeoutMs: 200 },
      metrics,
    );
    // The in-process tier is off here (local-tier.spec.ts covers it): these tests are about Redis.
    const channel = {
      publish: () => Promise.resolve(),
      listen: () => undefined,
    } as unknown as InvalidationChannel;
    unconfirmed = new UnconfirmedInvalidations(60_000);
    return new CacheAsideService(
      gateway,
      env,
      metrics,
      new LocalTier({ maxBytes: 0, ttlMs: 1000 }),
      channel,
      unconfirmed,
    );
  };

  beforeEach(() => {
    redis = new FakeRedis();
    service = newService();
  });

  it('loads once for concurrent misses of one key (single-flight), then serves from Redis', async () => {
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { n: 1 };
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => service.get('k', load, policy())),
    );
    expect(results).toEqual(Array(20).fill({ n: 1 }));
    expect(loads).toBe(1);
    expect(await service.get('k', load, policy())).toEqual({ n: 1 });
    expect(loads).toBe(1);
  });

  it('bypasses Redis entirely when CACHE_ENABLED is off', async () => {
    const off = newService(Object.assign(new Env(), { CACHE_ENABLED: false }));
    const gets = jest.spyOn(redis, 'get');
    let loads = 0;
    const load = () => Promise.resolve({ n: ++loads });
    expect(await off.get('k', load, policy())).toEqual({ n: 1 });
    expect(await off.get('k', load, policy())).toEqual({ n: 2 });
    expect(gets).not.toHaveBeenCalled();
    expect(redis.store.size).toBe(0);
  });

  it('remembers a missing row as a negative entry', async () => {
    let loads = 0;
    const load = () => {
      loads += 1;
      return Promise.resolve(null);
    };
    expect(await service.get('gone', load, policy())).toBeNull();
    expect(await service.get('gone', load, policy())).toBeNull();
    expect(loads).toBe(1);
  });

  it('falls through to the loader when Redis fails, and after repeated failures stops asking it', async () => {
    redis.failing = true;
    let loads = 0;
    const load = () => Promise.resolve({ n: ++loads });
    for (let i = 0; i < 8; i++) await service.get(`k${i}`, load, policy());
    expect(loads).toBe(8);
    const gets = jest.spyOn(redis, 'get');
    await service.get('k-open', load, policy());
    expect(gets).not.toHaveBeenCalled(); // circuit open: Redis is skipped
  });

  it('reports whether an invalidation reached Redis (the outbox retries those that did not)', async () => {
    redis.store.set('stale', '"old"');
    redis.failing = true;
    expect(await service.invalidate('stale')).toBe(false);
    expect(redis.store.has('stale')).toBe(true);
    redis.failing = false;
    expect(await service.invalidate('stale')).toBe(true);
    expect(redis.store.has('stale')).toBe(false);
  });

  it('reads a key held as unconfirmed from the loader, and from Redis again once released', async () => {
    await service.get('k', () => Promise.resolve('old'), policy());
    unconfirmed.hold('outbox:1', ['k']);
    expect(await service.get('k', () => Promise.resolve('new'), policy())).toBe('new');
    expect(redis.store.has('k')).toBe(true); // still the old entry: nothing was filled
    unconfirmed.release('outbox:1');
    expect(await service.get('k', () => Promise.resolve('new'), policy())).toBe('old');
  });

  it('after a failover, reads recently invalidated keys from the loader until the replay is confirmed', async () => {
    await service.get('k', () => Promise.resolve('v1'), policy());
    await service.invalidate('k');
    // The promoted replica never got the DEL: it still has v1.
    redis.store.set('k', JSON.stringify('v1'));
    redis.replicates = false;
    redis.emit('failover', 'test');
    // Synchronously held: the very next read does not trust Redis.
    expect(await service.get('k', () => Promise.resolve('v2'), policy())).toBe('v2');
    expect(unconfirmed.size).toBeGreaterThan(0);
    redis.replicates = true;
    await service.replayed();
    expect(unconfirmed.size).toBe(0);
    expect(redis.store.has('k')).toBe(false);
    expect(await service.get('k', () => Promise.resolve('v2'), policy())).toBe('v2');
  });
});
