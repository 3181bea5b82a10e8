import { Controller, Get, Header, Param, Query } from '@nestjs/common';
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

  /**
   * The body is a LeaderboardResponse already serialized (a cached page is sent without any
   * serialization): Fastify sends a string as it is, under the content type Fastify gives JSON.
   * Errors still go through the exception filter (the header applies to answers only).
   */
  @Get(':metric')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOkResponse({ type: LeaderboardResponse })
  async leaderboard(
    @Param() params: MetricParams,
    @Query() query: LeaderboardQuery,
  ): Promise<string> {
    return this.leaderboards.pageJson(
      params.metric,
      query.limit ?? DEFAULT_LEADERBOARD_LIMIT,
      query.offset ?? 0,
    );
  }
}
