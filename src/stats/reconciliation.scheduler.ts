import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Env } from '../config/env.schema.js';
import { ReconciliationService } from './reconciliation.service.js';

export const RECONCILIATION_JOB = 'reconciliation';

/**
 * The scheduled reconciliation: thin on purpose, the service does the work (and holds the
 * cluster-wide lock, so every instance can schedule it and one runs). Registered dynamically
 * because @Cron() takes its expression at class definition, before configuration is loaded.
 */
@Injectable()
export class ReconciliationScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconciliationScheduler.name);

  constructor(
    private readonly env: Env,
    private readonly registry: SchedulerRegistry,
    private readonly reconciliation: ReconciliationService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.RECONCILE_ENABLED) return;
    // The expression was validated with the rest of the environment (validateEnv).
    const job = CronJob.from({ cronTime: this.env.RECONCILE_CRON, onTick: () => this.tick() });
    this.registry.addCronJob(RECONCILIATION_JOB, job);
    job.start();
    this.logger.log(`reconciliation scheduled: ${this.env.RECONCILE_CRON}`);
  }

  async tick(): Promise<void> {
    try {
      const report = await this.reconciliation.run();
      if (!report) this.logger.log('reconciliation skipped: another instance is running it');
    } catch {
      // Logged and counted by the service; the next tick tries again.
    }
  }
}
