import { Module } from '@nestjs/common';
import { OnlineUsersService } from './online-users.service.js';
import { StatsController } from './stats.controller.js';

/**
 * Online users: recorded by the global AuthGuard (AuthModule imports this module for
 * OnlineUsersService) and served at `GET /stats/online`. Depends only on global infrastructure,
 * so the auth module can import it without a cycle.
 */
@Module({
  controllers: [StatsController],
  providers: [OnlineUsersService],
  exports: [OnlineUsersService],
})
export class StatsModule {}
