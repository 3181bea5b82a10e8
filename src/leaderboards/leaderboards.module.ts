import { Module } from '@nestjs/common';
import { CountersModule } from '../counters/counters.module.js';
import { UsersModule } from '../users/users.module.js';
import { LeaderboardsController } from './leaderboards.controller.js';
import { LeaderboardsService } from './leaderboards.service.js';

/** Leaderboard pages for admins (`GET /admin/leaderboards/:metric`). Exports nothing. */
@Module({
  // UsersModule: the profiles on a page, and AdminGuard with the roles it checks.
  imports: [CountersModule, UsersModule],
  controllers: [LeaderboardsController],
  providers: [LeaderboardsService],
})
export class LeaderboardsModule {}
