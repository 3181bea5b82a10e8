import { Global, Module } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from './keys.js';
import { RedisConnection } from './redis-connection.js';
import { RedisLocks } from './redis-lock.js';
import { REDIS_CLIENT } from './redis.constants.js';

/** The one Redis client of the app, and its key builder, for every module. */
@Global()
@Module({
  providers: [
    RedisConnection,
    RedisLocks,
    {
      provide: REDIS_CLIENT,
      inject: [RedisConnection],
      useFactory: (connection: RedisConnection) => connection.client,
    },
    {
      provide: RedisKeys,
      inject: [Env],
      useFactory: (env: Env) => new RedisKeys(env.REDIS_KEY_PREFIX),
    },
  ],
  exports: [RedisConnection, REDIS_CLIENT, RedisKeys, RedisLocks],
})
export class RedisModule {}
