import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from './keys.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { InvalidationChannel } from './invalidation-channel.js';
import { ReadRoutingMiddleware } from './read-routing.js';
import { RedisConnection } from './redis-connection.js';
import { RedisEpoch } from './redis-epoch.js';
import { RedisGateway } from './redis-gateway.js';
import { RedisLocks } from './redis-lock.js';
import { REDIS_CLIENT } from './redis.constants.js';

/**
 * The app's Redis (whatever the topology), the gateway every feature module talks to Redis
 * through, its key builder and locks. The raw client (REDIS_CLIENT: the master's command surface)
 * is for src/redis and src/cache only.
 */
@Global()
@Module({
  providers: [
    RedisConnection,
    RedisLocks,
    InvalidationChannel,
    RedisEpoch,
    {
      provide: RedisGateway,
      inject: [RedisConnection, Env, MetricsService],
      useFactory: (connection: RedisConnection, env: Env, metrics: MetricsService) =>
        new RedisGateway(
          connection.redis,
          {
            commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
            failoverSettleMs: env.REDIS_FAILOVER_REPLAY_SECONDS * 1000,
          },
          metrics,
        ),
    },
    {
      provide: REDIS_CLIENT,
      inject: [RedisConnection],
      useFactory: (connection: RedisConnection) => connection.redis.primary,
    },
    {
      provide: RedisKeys,
      inject: [Env],
      useFactory: (env: Env) => new RedisKeys(env.REDIS_KEY_PREFIX),
    },
  ],
  exports: [
    RedisConnection,
    REDIS_CLIENT,
    RedisGateway,
    RedisKeys,
    RedisLocks,
    RedisEpoch,
    InvalidationChannel,
  ],
})
export class RedisModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ReadRoutingMiddleware).forRoutes('{*splat}');
  }
}
