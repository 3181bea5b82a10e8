import { Module } from '@nestjs/common';
import { CountersModule } from '../counters/counters.module.js';
import { UserStatsController } from '../stats/stats.controller.js';
import { UsersModule } from '../users/users.module.js';
import { LeaderboardsController } from './leaderboards.controller.js';
import { LeaderboardsService } from './leaderboards.service.js';

/**
 * Leaderboard pages for admins and one user's counts. Exports LeaderboardsService for the
 * `GET /profiles/:username/stats` route (`userStats`), which moves to the profiles module.
 */
@Module({
  // UsersModule: the profiles on a page, and AdminGuard with the roles it checks.
  imports: [CountersModule, UsersModule],
  controllers: [LeaderboardsController, UserStatsController],
  providers: [LeaderboardsService],
  exports: [LeaderboardsService],
})
export class LeaderboardsModule {}
