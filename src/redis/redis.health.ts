import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnection } from './redis-connection.js';

/**
 * Redis health for /health. Redis down makes the app slower, not wrong (reads fall through to
 * Postgres), so it reports `degraded` rather than `down` and does not fail the health check.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisConnection,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    const started = Date.now();
    try {
      if (!this.redis.isReady) return indicator.degraded({ message: 'not connected' });
      await this.redis.client.ping();
      return indicator.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return indicator.degraded({ message: error instanceof Error ? error.message : 'error' });
    }
  }
}
