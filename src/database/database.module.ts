import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AdvisoryLocks } from './advisory-locks.js';
import { PostgresNotifications } from './postgres-notifications.js';
import { QueryMetricsLogger } from './query-metrics.logger.js';
import { typeormOptions } from './typeorm-options.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [Env, MetricsService],
      useFactory: (env: Env, metrics: MetricsService) => ({
        ...typeormOptions(env.DATABASE_URL, {
          poolSize: env.DATABASE_POOL_SIZE,
          acquireTimeoutMs: env.DATABASE_ACQUIRE_TIMEOUT_MS,
          statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
          lockTimeoutMs: env.DATABASE_LOCK_TIMEOUT_MS,
          logger: new QueryMetricsLogger(metrics),
        }),
        // Each feature module registers its own entities (TypeOrmModule.forFeature).
        autoLoadEntities: true,
        maxQueryExecutionTime: 500,
        // Fail the boot instead of retrying for minutes: main.ts already checked Postgres.
        retryAttempts: 1,
      }),
    }),
  ],
  providers: [AdvisoryLocks, PostgresNotifications],
  exports: [AdvisoryLocks, PostgresNotifications],
})
export class DatabaseModule {}
