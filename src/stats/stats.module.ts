import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminStatsController } from './admin-stats.controller.js';
import { LeaderboardsService } from './leaderboards.service.js';
import { StatsController } from './stats.controller.js';

/** Online users, per-user stats, leaderboards and their reconciliation with Postgres. */
@Module({
  imports: [AuthModule, UsersModule],
  controllers: [StatsController, AdminStatsController],
  providers: [LeaderboardsService],
})
export class StatsModule {}
