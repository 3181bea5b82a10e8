import { Module } from '@nestjs/common';
import { CountersModule } from '../counters/counters.module.js';
import { FeedModule } from '../feed/feed.module.js';
import { QueueModule, workerProvider } from '../queue/queue.module.js';
import { UsersModule } from '../users/users.module.js';
import { BatchReconciler } from './batch-reconciler.js';
import { LeaderboardStagingStore } from './leaderboard-staging.store.js';
import { STATS_QUEUE } from './reconciliation-queue.js';
import { ReconciliationController } from './reconciliation.controller.js';
import { ReconciliationProcessor } from './reconciliation.processor.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import { ReconciliationScheduler } from './reconciliation.scheduler.js';
import { ReconciliationService } from './reconciliation.service.js';
import { RedisDataLossMonitor } from './redis-data-loss.monitor.js';

/**
 * Reconciliation of the Redis counts, leaderboards and a sample of feed timelines with Postgres:
 * the run, its schedule and queue, the admin endpoints, and the Redis data-loss monitor that
 * starts a run when boards were lost. Exports nothing: the CLI and tests reach the service
 * through the application context.
 */
@Module({
  imports: [
    CountersModule,
    // TimelineAudit (the timelines sample).
    FeedModule,
    // AdminGuard and the roles it checks.
    UsersModule,
    QueueModule.forFeature(STATS_QUEUE),
  ],
  controllers: [ReconciliationController],
  providers: [
    ReconciliationService,
    BatchReconciler,
    ReconciliationRepository,
    LeaderboardStagingStore,
    ReconciliationScheduler,
    workerProvider(ReconciliationProcessor),
    RedisDataLossMonitor,
  ],
})
export class ReconciliationModule {}
