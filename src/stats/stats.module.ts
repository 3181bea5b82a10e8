import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminStatsController } from './admin-stats.controller.js';
import { LeaderboardStagingStore } from './leaderboard-staging.store.js';
import { LeaderboardsService } from './leaderboards.service.js';
import { ReconciliationScheduler } from './reconciliation.scheduler.js';
import { ReconciliationService } from './reconciliation.service.js';
import { RedisDataLossMonitor } from './redis-data-loss.monitor.js';
import { StatsRepository } from './stats.repository.js';
import { StatsController } from './stats.controller.js';

/** Online users, per-user stats, leaderboards and their reconciliation with Postgres. */
@Module({
  imports: [AuthModule, UsersModule],
  controllers: [StatsController, AdminStatsController],
  providers: [
    LeaderboardsService,
    ReconciliationService,
    ReconciliationScheduler,
    LeaderboardStagingStore,
    StatsRepository,
    RedisDataLossMonitor,
  ],
  exports: [ReconciliationService],
})
export class StatsModule {}
