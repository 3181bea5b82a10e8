import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';
import type { MetricsService } from '../metrics/metrics.service.js';

/**
 * TypeORM logger that counts every SQL statement (Prometheus `db_queries_total`; the e2e tests use
 * the count to prove that a cached read never reaches Postgres) and logs failed or slow queries.
 */
export class QueryMetricsLogger implements Logger {
  private readonly logger = new NestLogger('SQL');

  constructor(private readonly metrics: MetricsService) {}

  logQuery(): void {
    this.metrics.countQuery();
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
