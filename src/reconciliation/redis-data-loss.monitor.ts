import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { LiveLeaderboards } from '../counters/live-leaderboards.js';
import { inBackground } from '../database/query-origin.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisEpoch } from '../redis/redis-epoch.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { ReconciliationService } from './reconciliation.service.js';
import { JobSchedulers } from '../queue/job-schedulers.js';

/**
 * Notices Redis data loss (RedisEpoch: a missing epoch marker or a new server run id) on every
 * (re)connect and every REDIS_LOSS_CHECK_INTERVAL_MS, and rebuilds the leaderboards at once: a
 * board that is not marked built starts a reconciliation run (one instance runs it; the others
 * find the lock taken and check again next time). Until the run swaps the board in, deltas skip
 * it and readers get 503. Count hashes, follow zsets and favorites sets need nothing here: a
 * missing one is rebuilt from Postgres on its next read.
 */
@Injectable()
export class RedisDataLossMonitor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RedisDataLossMonitor.name);
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly env: Env,
    private readonly redis: RedisGateway,
    private readonly epoch: RedisEpoch,
    private readonly boards: LiveLeaderboards,
    private readonly reconciliation: ReconciliationService,
    private readonly metrics: MetricsService,
    private readonly schedulers: JobSchedulers,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.REDIS_LOSS_CHECK_INTERVAL_MS === 0) return;
    this.redis.onRecovered(() => void this.check());
    // A failover can lose acknowledged writes like a restart does (a new run id on Sentinel).
    this.redis.onFailover(() => void this.check());
    this.timer = setInterval(() => void this.check(), this.env.REDIS_LOSS_CHECK_INTERVAL_MS);
    this.timer.unref();
    void this.check();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
  }

  /** One check at a time; resolves when done. Never throws. */
  check(): Promise<void> {
    if (this.stopped || !this.redis.usable) return Promise.resolve();
    this.checking ??= inBackground(() => this.runCheck()).finally(
      () => (this.checking = undefined),
    );
    return this.checking;
  }

  private async runCheck(): Promise<void> {
    try {
      const found = await this.epoch.check();
      if (found === 'flushed' || found === 'server_changed') {
        this.metrics.redisDataLoss.inc({ reason: found });
        this.logger.warn(
          found === 'flushed'
            ? 'Redis has no epoch marker (restarted empty, flushed or new): rebuilding leaderboards'
            : 'Redis is a different server with the same data lineage (restart from disk or failover): its data may lack recent writes, rebuilding leaderboards',
        );
      }
      // The queues' job schedulers were lost with the rest: declare them again. (A restart or a
      // failover, a new server, is JobSchedulers' own: it reapplies them on reconnect and failover.)
      if (found === 'flushed') this.schedulers.reapply();
      // A failover replica still holds boards, marked built, that may miss recent deltas.
      if (found === 'server_changed') await this.boards.markBoardsUnbuilt();
      const unbuilt = await this.boards.unbuiltBoards();
      if (unbuilt.length === 0) return;
      if (await this.reconciliation.start()) {
        this.logger.log(`rebuilding leaderboards ${unbuilt.join(', ')} (reconciliation started)`);
      }
    } catch (error) {
      this.metrics.countRedisError('data-loss.check');
      this.logger.warn(`Redis data-loss check failed: ${String(error)}`);
    }
  }
}
