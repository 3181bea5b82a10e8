import { CountersModule } from '../counters/counters.module.js';
import { Module } from '@nestjs/common';
import { FeedModule } from '../feed/feed.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminStatsController } from './admin-stats.controller.js';
import { LeaderboardStagingStore } from '../reconciliation/leaderboard-staging.store.js';
import { LeaderboardsService } from '../leaderboards/leaderboards.service.js';
import { ReconciliationScheduler } from '../reconciliation/reconciliation.scheduler.js';
import { ReconciliationProcessor } from '../reconciliation/reconciliation.processor.js';
import { STATS_QUEUE } from '../reconciliation/reconciliation-queue.js';
import { QueueModule, workerProvider } from '../queue/queue.module.js';
import { ReconciliationService } from '../reconciliation/reconciliation.service.js';
import { RedisDataLossMonitor } from '../reconciliation/redis-data-loss.monitor.js';
import { StatsRepository } from '../reconciliation/reconciliation.repository.js';
import { StatsController } from './stats.controller.js';

/** Online users, per-user stats, leaderboards and their reconciliation with Postgres. */
@Module({
  imports: [
    CountersModule,
    AuthModule,
    UsersModule,
    FeedModule,
    QueueModule.forFeature(STATS_QUEUE),
  ],
  controllers: [StatsController, AdminStatsController],
  providers: [
    LeaderboardsService,
    ReconciliationService,
    ReconciliationScheduler,
    workerProvider(ReconciliationProcessor),
    LeaderboardStagingStore,
    StatsRepository,
    RedisDataLossMonitor,
  ],
  exports: [ReconciliationService],
})
export class StatsModule {}
