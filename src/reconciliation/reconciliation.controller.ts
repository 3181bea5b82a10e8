import { Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireAdmin } from '../auth/admin.guard.js';
import { ConflictError } from '../common/domain-error.js';
import { ReconciliationStatusResponse } from './reconciliation.dto.js';
import { ReconciliationScheduler } from './reconciliation.scheduler.js';
import { ReconciliationService } from './reconciliation.service.js';

/** Reconciliation for admins: 401 without a token, 403 for non-admins. */
@ApiTags('Admin')
@Controller('admin/reconciliation')
@RequireAdmin()
export class ReconciliationController {
  constructor(
    private readonly reconciliation: ReconciliationService,
    private readonly scheduler: ReconciliationScheduler,
  ) {}

  /** The last completed run's report (from Redis: any instance answers) and whether one runs. */
  @Get()
  @ApiOkResponse({ type: ReconciliationStatusResponse })
  status(): Promise<ReconciliationStatusResponse> {
    return this.reconciliation.status();
  }

  /**
   * Queues a run now (the same job as the scheduled one; a worker on any instance takes it): 202,
   * or 409 while one runs or is queued (on any instance).
   */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: ReconciliationStatusResponse })
  @ApiConflictResponse({ description: 'A run is already in progress' })
  async start(): Promise<ReconciliationStatusResponse> {
    if (!(await this.scheduler.requestRun())) {
      throw new ConflictError('a reconciliation run is already in progress');
    }
    return this.reconciliation.status();
  }
}
