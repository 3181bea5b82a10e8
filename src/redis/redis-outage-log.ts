import { Logger } from '@nestjs/common';

/**
 * The Redis log of the gateway: a failing operation is logged once per outage (the log would
 * otherwise repeat per request; the metric counts every failure), and one line says when Redis
 * answers again, naming what had failed.
 */
export class RedisOutageLog {
  private readonly logger = new Logger('Redis');
  private readonly failedOperations = new Set<string>();

  failed(operation: string, error: unknown): void {
    if (this.failedOperations.has(operation)) return;
    this.failedOperations.add(operation);
    this.logger.warn(
      `Redis ${operation} failed (further failures of it are only counted until Redis recovers): ${String(error)}`,
    );
  }

  failedOver(description: string): void {
    this.logger.warn(
      `Redis failover (${description}): repairing what the old master may have lost`,
    );
  }

  recovered(): void {
    if (this.failedOperations.size === 0) return;
    this.logger.log(`Redis answers again (${[...this.failedOperations].join(', ')} had failed)`);
    this.failedOperations.clear();
  }
}
