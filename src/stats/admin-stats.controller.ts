import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireAdmin } from '../users/admin.guard.js';
import {
  DEFAULT_LEADERBOARD_LIMIT,
  LeaderboardQuery,
  LeaderboardResponse,
  MetricParams,
} from './dto/leaderboard.dto.js';
import { LeaderboardsService } from './leaderboards.service.js';

/** Admin-only statistics: 401 without a token, 403 for non-admins. */
@ApiTags('Admin')
@Controller('admin')
@RequireAdmin()
export class AdminStatsController {
  constructor(private readonly leaderboards: LeaderboardsService) {}

  @Get('leaderboards/:metric')
  @ApiOkResponse({ type: LeaderboardResponse })
  leaderboard(
    @Param() params: MetricParams,
    @Query() query: LeaderboardQuery,
  ): Promise<LeaderboardResponse> {
    return this.leaderboards.page(
      params.metric,
      query.limit ?? DEFAULT_LEADERBOARD_LIMIT,
      query.offset ?? 0,
    );
  }
}
