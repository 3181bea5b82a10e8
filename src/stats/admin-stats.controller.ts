import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ConflictError } from '../common/domain-error.js';
import { RequireAdmin } from '../auth/admin.guard.js';
import {
  DEFAULT_LEADERBOARD_LIMIT,
  LeaderboardQuery,
  LeaderboardResponse,
  MetricParams,
} from '../leaderboards/leaderboard.dto.js';
import { ReconciliationStatusResponse } from '../reconciliation/reconciliation.dto.js';
import { LeaderboardsService } from '../leaderboards/leaderboards.service.js';
import { ReconciliationScheduler } from '../reconciliation/reconciliation.scheduler.js';
import { ReconciliationService } from '../reconciliation/reconciliation.service.js';

/** Admin-only statistics: 401 without a token, 403 for non-admins. */
@ApiTags('Admin')
@Controller('admin')
@RequireAdmin()
export class AdminStatsController {
  constructor(
    private readonly leaderboards: LeaderboardsService,
    private readonly reconciliation: ReconciliationService,
    private readonly scheduler: ReconciliationScheduler,
  ) {}

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

  /** The last completed run's report (from Redis: any instance answers) and whether one runs. */
  @Get('reconciliation')
  @ApiOkResponse({ type: ReconciliationStatusResponse })
  reconciliationStatus(): Promise<ReconciliationStatusResponse> {
    return this.reconciliation.status();
  }

  /**
   * Queues a run now (the same job as the scheduled one; a worker on any instance takes it): 202,
   * or 409 while one runs or is queued (on any instance).
   */
  @Post('reconciliation')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: ReconciliationStatusResponse })
  @ApiConflictResponse({ description: 'A run is already in progress' })
  async startReconciliation(): Promise<ReconciliationStatusResponse> {
    if (!(await this.scheduler.requestRun())) {
      throw new ConflictError('a reconciliation run is already in progress');
    }
    return this.reconciliation.status();
  }
}
