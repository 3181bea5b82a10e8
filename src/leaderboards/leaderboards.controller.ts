import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireAdmin } from '../auth/admin.guard.js';
import {
  DEFAULT_LEADERBOARD_LIMIT,
  LeaderboardQuery,
  LeaderboardResponse,
  MetricParams,
} from './leaderboard.dto.js';
import { LeaderboardsService } from './leaderboards.service.js';

/** Leaderboards for admins: 401 without a token, 403 for non-admins. */
@ApiTags('Admin')
@Controller('admin/leaderboards')
@RequireAdmin()
export class LeaderboardsController {
  constructor(private readonly leaderboards: LeaderboardsService) {}

  @Get(':metric')
  @ApiOkResponse({ type: LeaderboardResponse })
  async leaderboard(
    @Param() params: MetricParams,
    @Query() query: LeaderboardQuery,
  ): Promise<LeaderboardResponse> {
    // The model has the response's shape: the page is the response.
    return this.leaderboards.page(
      params.metric,
      query.limit ?? DEFAULT_LEADERBOARD_LIMIT,
      query.offset ?? 0,
    );
  }
}
