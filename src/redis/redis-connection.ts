import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { redactUrl } from '../database/ensure-database.js';
import { createRedisClient, type RedisClient } from './redis.client.js';

/**
 * Owns the lifecycle of the one Redis client: connects at start-up (without blocking the boot for
 * more than the connect timeout: the app serves from Postgres while Redis is away), logs state
 * changes once rather than on every retry, and closes the connection gracefully on shutdown.
 */
@Injectable()
export class RedisConnection
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RedisConnection.name);
  readonly client: RedisClient;
  private lastError: string | undefined;

  constructor(private readonly env: Env) {
    this.client = createRedisClient({
      url: env.REDIS_URL,
      connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
    });
    this.client.on('error', (error: Error) => {
      if (error.message !== this.lastError) {
        this.lastError = error.message;
        this.logger.warn(`Redis ${redactUrl(env.REDIS_URL)} unavailable: ${error.message}`);
      }
    });
    this.client.on('ready', () => {
      if (this.lastError !== undefined) this.logger.log('Redis connection restored');
      this.lastError = undefined;
    });
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  async onModuleInit(): Promise<void> {
    const connecting = this.client.connect().then(
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

  async onApplicationShutdown(): Promise<void> {
    if (this.client.isReady) {
      await this.client.close().catch(() => this.client.destroy());
    } else if (this.client.isOpen) {
      this.client.destroy();
    }
  }
}
