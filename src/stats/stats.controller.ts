import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OnlineUsersService } from './online-users.service.js';
import { OptionalAuth } from '../auth/auth.decorators.js';
import { OnlineUsersResponse } from './online.dto.js';
import { UserStatsResponse } from '../profiles/user-stats.dto.js';
import { LeaderboardsService } from '../leaderboards/leaderboards.service.js';

/** Public statistics. */
@ApiTags('Stats')
@Controller()
export class StatsController {
  constructor(
    private readonly online: OnlineUsersService,
    private readonly leaderboards: LeaderboardsService,
  ) {}

  /** All counts of one user (public). */
  @Get('profiles/:username/stats')
  @OptionalAuth()
  @ApiOkResponse({ type: UserStatsResponse })
  async userStats(@Param('username') username: string): Promise<UserStatsResponse> {
    return { stats: await this.leaderboards.userStats(username) };
  }

  /** How many distinct users made an authenticated request within the window. */
  @Get('stats/online')
  @OptionalAuth()
  @ApiOkResponse({ type: OnlineUsersResponse })
  async onlineUsers(): Promise<OnlineUsersResponse> {
    return { online: await this.online.count(), windowSeconds: this.online.windowSeconds };
  }
}
