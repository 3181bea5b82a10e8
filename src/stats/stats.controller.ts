import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OptionalAuth } from '../auth/auth.decorators.js';
import { LeaderboardsService } from '../leaderboards/leaderboards.service.js';
import { UserStatsResponse } from '../profiles/user-stats.dto.js';
import { OnlineUsersResponse } from './online.dto.js';
import { OnlineUsersService } from './online-users.service.js';

/** Public statistics (StatsModule). */
@ApiTags('Stats')
@Controller('stats')
export class StatsController {
  constructor(private readonly online: OnlineUsersService) {}

  /** How many distinct users made an authenticated request within the window. */
  @Get('online')
  @OptionalAuth()
  @ApiOkResponse({ type: OnlineUsersResponse })
  async onlineUsers(): Promise<OnlineUsersResponse> {
    return { online: await this.online.count(), windowSeconds: this.online.windowSeconds };
  }
}

/**
 * One user's counts (public). Registered by LeaderboardsModule, whose service answers it: this
 * route belongs in src/profiles/ (with the other /profiles routes) and moves there next. StatsModule
 * cannot register it: AuthModule imports StatsModule (online users), and LeaderboardsModule needs
 * UsersModule, which imports AuthModule.
 */
@ApiTags('Stats')
@Controller('profiles')
export class UserStatsController {
  constructor(private readonly leaderboards: LeaderboardsService) {}

  @Get(':username/stats')
  @OptionalAuth()
  @ApiOkResponse({ type: UserStatsResponse })
  async userStats(@Param('username') username: string): Promise<UserStatsResponse> {
    return { stats: await this.leaderboards.userStats(username) };
  }
}
