import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import type { DefaultJobOptions } from 'bullmq';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { redisTopologyOf } from '../redis/redis-topology.js';
import { JobEnqueuer } from './job-enqueuer.js';
import { JobSchedulers } from './job-schedulers.js';
import { QueueCatalog } from './queue-catalog.js';
import { QueueMetrics } from './queue-metrics.js';
import { installQueueClientFactory, queueConnectionOptions } from './queue-connection.js';

/** Retries with exponential backoff; completed jobs trimmed, failed ones kept for inspection. */
export function defaultJobOptions(env: Env): DefaultJobOptions {
  return {
    attempts: env.QUEUE_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: env.QUEUE_BACKOFF_MS },
    removeOnComplete: { count: env.QUEUE_KEEP_COMPLETED },
    removeOnFail: { count: env.QUEUE_KEEP_FAILED },
  };
}

/**
 * The app's BullMQ set-up (docs/ARCHITECTURE.md, "Queues"). `QueueModule.forRoot()` once in
 * AppModule: connection from the app's Redis topology, keys under REDIS_KEY_PREFIX in one Cluster
 * slot, default job options. A feature module imports `QueueModule.forFeature('name')` for each
 * queue it produces to or consumes, and lists its processors with `workerProvider(Class)`.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(): DynamicModule {
    installQueueClientFactory();
    return {
      module: QueueModule,
      imports: [
        DiscoveryModule,
        BullModule.forRootAsync({
          inject: [Env, RedisKeys],
          useFactory: (env: Env, keys: RedisKeys) => ({
            connection: queueConnectionOptions(redisTopologyOf(env), env.REDIS_CONNECT_TIMEOUT_MS),
            prefix: keys.queuePrefix(),
            defaultJobOptions: defaultJobOptions(env),
          }),
        }),
      ],
      providers: [JobEnqueuer, JobSchedulers, QueueCatalog, QueueMetrics],
      exports: [JobEnqueuer, JobSchedulers, QueueCatalog],
    };
  }

  /** Registers queues (injectable with `@InjectQueue(name)`) for the importing module. */
  static forFeature(...names: string[]): DynamicModule {
    return BullModule.registerQueue(...names.map((name) => ({ name })));
  }
}

/** Stands in for a processor in a process that runs no workers (QUEUE_WORKERS=false). */
export class WorkersOff {
  constructor(readonly processor: string) {}
}

/**
 * The provider of a `@Processor` class: the processor itself when this process runs workers,
 * otherwise a placeholder, so @nestjs/bullmq creates no Worker (and no connection) for it.
 */
export function workerProvider(processor: Type): Provider {
  return {
    provide: processor,
    inject: [Env, ModuleRef],
    useFactory: (env: Env, moduleRef: ModuleRef) =>
      env.QUEUE_WORKERS ? moduleRef.create(processor) : new WorkersOff(processor.name),
  };
}
