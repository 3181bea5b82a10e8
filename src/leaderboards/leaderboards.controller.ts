import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireAdmin } from '../auth/admin.guard.js';
import { type JsonText, JsonTextResponse } from '../common/json-text.js';
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

  /** The page as cached JSON text: a warm page is sent without any serialization. */
  @Get(':metric')
  @ApiOkResponse({ type: LeaderboardResponse })
  @JsonTextResponse()
  async leaderboard(
    @Param() params: MetricParams,
    @Query() query: LeaderboardQuery,
  ): Promise<JsonText<LeaderboardResponse>> {
    return this.leaderboards.pageJson(
      params.metric,
      query.limit ?? DEFAULT_LEADERBOARD_LIMIT,
      query.offset ?? 0,
    );
  }
}
