import KeyvRedis, { type RedisClientConnectionType } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import type { RedisClient } from '../redis/redis.client.js';
import { REDIS_CLIENT } from '../redis/redis.constants.js';
import { CacheAsideService } from './cache-aside.service.js';
import { CacheTagsService } from './cache-tags.service.js';
import { CachedInterceptor } from './cached.interceptor.js';

/**
 * A Keyv Redis store on the app's own client. The cache module disconnects its stores on shutdown;
 * the client belongs to RedisConnection, which closes it once, after everyone is done with it.
 */
class SharedClientKeyvRedis extends KeyvRedis<unknown> {
  override async disconnect(): Promise<void> {}
}

/**
 * Caching for every feature module:
 * - CacheAsideService (ours): viewer-independent objects with jitter, negative entries,
 *   single-flight, leases and fall-through; what profiles, articles and sessions use.
 * - @nestjs/cache-manager (cache-manager + @keyv/redis) on the same Redis client, namespaced under
 *   the key prefix: for the stock CacheInterceptor on URL-keyed routes whose answer is the same for
 *   every viewer.
 */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      inject: [REDIS_CLIENT, Env],
      useFactory: (client: RedisClient, env: Env) => ({
        stores: [
          // Our client type carries the `redis` package's modules and scripts; Keyv needs only the core.
          new SharedClientKeyvRedis(client as unknown as RedisClientConnectionType, {
            namespace: `${env.REDIS_KEY_PREFIX}http`,
          }),
        ],
        ttl: 30_000,
      }),
    }),
  ],
  providers: [CacheAsideService, CacheTagsService, CachedInterceptor],
  exports: [CacheAsideService, CacheTagsService, CachedInterceptor, CacheModule],
})
export class AppCacheModule {}
