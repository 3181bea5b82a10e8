import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import { RedisHealthIndicator } from '../redis/redis.health.js';

@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** Readiness: Postgres must answer; Redis down only degrades (reads fall back to Postgres). */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.postgres.pingCheck('postgres').withTimeout(1500),
      () => this.redis.check('redis'),
    ]);
  }

  /** Liveness: the process answers. Also the benchmark's baseline (the framework's ceiling). */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
