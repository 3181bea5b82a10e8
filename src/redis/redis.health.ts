import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisGateway, RedisUnavailableError } from './redis-gateway.js';

/**
 * Redis health for /health. Redis down makes the app slower, not wrong (reads fall through to
 * Postgres), so it reports `degraded` rather than `down` and does not fail the health check.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly redis: RedisGateway,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    const started = Date.now();
    try {
      // Bounded and breaker-guarded like every request-path call: a frozen Redis costs /health
      // at most one command timeout.
      await this.redis.run('health.ping', (redis) => redis.ping());
      return indicator.up({ latencyMs: Date.now() - started });
    } catch (error) {
      const message =
        error instanceof RedisUnavailableError
          ? 'not connected or circuit open'
          : error instanceof Error
            ? error.message
            : 'error';
      return indicator.degraded({ message });
    }
  }
}
