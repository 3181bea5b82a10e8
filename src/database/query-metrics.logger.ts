import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';
import type { MetricsService } from '../metrics/metrics.service.js';
import { currentQueryOrigin } from './query-origin.js';

/**
 * TypeORM logger that counts every SQL statement by origin (Prometheus `db_queries_total{origin}`;
 * the e2e tests use the request count to prove that a cached read never reaches Postgres) and logs
 * failed or slow queries.
 */
export class QueryMetricsLogger implements Logger {
  private readonly logger = new NestLogger('SQL');

  constructor(private readonly metrics: MetricsService) {}

  logQuery(): void {
    this.metrics.countQuery(currentQueryOrigin());
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.warn(`query failed: ${error instanceof Error ? error.message : error} -- ${query}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${query}`);
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
