import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { withTimeout } from '../redis/with-timeout.js';
import { QueueCatalog } from './queue-catalog.js';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/**
 * queue_jobs{queue,state}: read from Redis at scrape time (shared by every instance, so any
 * instance's /metrics tells the whole queue). A queue whose counts cannot be read in time is left
 * out of that scrape rather than reported as zero.
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly catalog: QueueCatalog,
    private readonly env: Env,
  ) {}

  onModuleInit(): void {
    const catalog = this.catalog;
    const timeoutMs = this.env.REDIS_COMMAND_TIMEOUT_MS * 5;
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed, completed, prioritized)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        await Promise.all(
          catalog.queues.map(async (queue) => {
            const counts = await withTimeout(queue.getJobCounts(...STATES), timeoutMs).catch(
              () => undefined,
            );
            if (!counts) return;
            for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
  }
}
