import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { createRedisClient, type RedisTopologyClient } from './redis.client.js';
import { describeTopology, redisTopologyOf } from './redis-topology.js';
import { withTimeout } from './with-timeout.js';

/**
 * Owns the lifecycle of the app's Redis (standalone, Sentinel or Cluster: redis-topology.ts picks
 * it from the environment and the start-up log names it): connects at start-up (without blocking
 * the boot for more than the connect timeout: the app serves from Postgres while Redis is away),
 * logs state changes once rather than on every retry, and closes the connections on shutdown.
 */
@Injectable()
export class RedisConnection
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RedisConnection.name);
  readonly redis: RedisTopologyClient;
  private readonly description: string;
  private lastError: string | undefined;

  constructor(private readonly env: Env) {
    const topology = redisTopologyOf(env);
    this.description = describeTopology(topology);
    this.redis = createRedisClient(topology, {
      connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
      readFromReplicas: env.REDIS_READ_FROM_REPLICAS,
    });
    this.redis.on('error', (error: Error) => {
      if (error.message !== this.lastError) {
        this.lastError = error.message;
        this.logger.warn(`${this.description} unavailable: ${error.message}`);
      }
    });
    this.redis.on('ready', () => {
      if (this.lastError !== undefined) this.logger.log('Redis connection restored');
      this.lastError = undefined;
    });
  }

  get isReady(): boolean {
    return this.redis.isReady;
  }

  async onModuleInit(): Promise<void> {
    const replicaReads = this.redis.readsFromReplicas
      ? ', cache reads of anonymous requests from replicas'
      : '';
    this.logger.log(`Redis topology: ${this.redis.kind}, ${this.description}${replicaReads}`);
    const connecting = this.redis.connect().then(
      () => true,
      () => false,
    );
    const timeout = new Promise<false>((resolve) =>
      setTimeout(() => resolve(false), this.env.REDIS_CONNECT_TIMEOUT_MS).unref(),
    );
    if (!(await Promise.race([connecting, timeout]))) {
      this.logger.warn('starting without Redis: reads fall through to Postgres until it is back');
    }
  }

  beforeApplicationShutdown(signal?: string): void {
    this.logger.log(`shutting down${signal ? ` on ${signal}` : ''}: closing the Redis connection`);
  }

  /**
   * `close()` waits for the replies of every command in flight: against a frozen Redis (TCP open,
   * no answers) it would never return. It gets one command budget (at least a second), then the
   * sockets are destroyed.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.redis.isReady) {
      const graceMs = Math.max(this.env.REDIS_COMMAND_TIMEOUT_MS, 1000);
      await withTimeout(this.redis.close(), graceMs).catch(() => this.redis.destroy());
    } else if (this.redis.isOpen) {
      this.redis.destroy();
    }
  }
}
