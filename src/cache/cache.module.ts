import { Global, Module } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { InvalidationChannel } from '../redis/invalidation-channel.js';
import { CacheAsideService } from './cache-aside.service.js';
import { CacheTagsService } from './cache-tags.service.js';
import { CachedInterceptor } from './cached.interceptor.js';
import { LocalTier } from './local-tier.js';
import { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';

/** The tier's size and state at scrape time (hits are counted as cache_requests_total{local_hit}). */
function exportLocalTier(tier: LocalTier, metrics: MetricsService): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.set(read());
      },
    });
  gauge(
    'local_cache_bytes',
    'Bytes held by the in-process cache tier (upper-bound estimate; capped by LOCAL_CACHE_MAX_BYTES)',
    () => tier.bytes,
  );
  gauge(
    'local_cache_max_bytes',
    "The in-process tier's byte cap (LOCAL_CACHE_MAX_BYTES; 0: the tier is off)",
    () => tier.settings.maxBytes,
  );
  gauge('local_cache_entries', 'Entries held by the in-process cache tier', () => tier.size);
  gauge(
    'local_cache_active',
    '1 while the in-process tier serves (invalidation channel synced), else 0',
    () => (tier.active ? 1 : 0),
  );
}

/**
 * Caching for every feature module, in two tiers:
 * - LocalTier: an in-process LRU bounded in bytes, in front of Redis, emptied and bypassed
 *   whenever the invalidation channel (src/redis/invalidation-channel.ts) cannot vouch for it;
 * - CacheAsideService over Redis: viewer-independent objects with jitter, negative entries,
 *   single-flight, leases and fall-through; what profiles, articles and sessions use, and the
 *   @Cached interceptor for routes whose shared part is cached (generations by CacheTagsService).
 */
@Global()
@Module({
  providers: [
    {
      provide: LocalTier,
      inject: [Env, InvalidationChannel, MetricsService],
      useFactory: (env: Env, channel: InvalidationChannel, metrics: MetricsService) => {
        const tier = new LocalTier({
          maxBytes: env.CACHE_ENABLED ? env.LOCAL_CACHE_MAX_BYTES : 0,
          ttlMs: env.LOCAL_CACHE_TTL_MS,
          freezeDecoded: env.NODE_ENV !== 'production',
        });
        channel.listen(tier);
        exportLocalTier(tier, metrics);
        return tier;
      },
    },
    {
      provide: UnconfirmedInvalidations,
      inject: [Env, MetricsService],
      useFactory: (env: Env, metrics: MetricsService) => {
        const unconfirmed = new UnconfirmedInvalidations(env.REDIS_FAILOVER_REPLAY_SECONDS * 1000);
        new Gauge({
          name: 'cache_unconfirmed_invalidations',
          help: 'Invalidations (outbox rows, failover replay chunks) not yet known to survive a Redis failover; their keys are read from Postgres meanwhile',
          registers: [metrics.registry],
          collect() {
            this.set(unconfirmed.size);
          },
        });
        return unconfirmed;
      },
    },
    CacheAsideService,
    CacheTagsService,
    CachedInterceptor,
  ],
  exports: [
    CacheAsideService,
    CacheTagsService,
    CachedInterceptor,
    LocalTier,
    UnconfirmedInvalidations,
  ],
})
export class AppCacheModule {}
