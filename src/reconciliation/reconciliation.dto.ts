import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';

class MetricCorrectionsView {
  @ApiProperty() added: number;
  @ApiProperty() changed: number;
  @ApiProperty() removed: number;
  @ApiProperty() largestDifference: number;
}

class HashRepairsView {
  @ApiProperty() created: number;
  @ApiProperty() corrected: number;
}

class TimelineAuditView {
  @ApiProperty({ description: 'Sampled feed timelines compared with Postgres' }) checked: number;
  @ApiProperty({ description: 'Of those, timelines found wrong and dropped (rebuilt on read)' })
  drifted: number;
}

@ApiExtraModels(MetricCorrectionsView)
export class ReconciliationReportView {
  @ApiProperty() startedAt: string;
  @ApiProperty() finishedAt: string;
  @ApiProperty() durationMs: number;
  @ApiProperty() usersScanned: number;
  @ApiProperty({ type: HashRepairsView }) hashes: HashRepairsView;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(MetricCorrectionsView) },
    description: 'Per reconciled metric: {added, changed, removed, largestDifference}',
  })
  metrics: Record<string, MetricCorrectionsView>;
  @ApiProperty({
    type: TimelineAuditView,
    required: false,
    description: 'Absent in reports stored before timelines were checked',
  })
  timelines?: TimelineAuditView;
}

export class ReconciliationStatusResponse {
  @ApiProperty({ description: 'Whether a run holds the cluster-wide lock right now' })
  running: boolean;
  @ApiProperty({ type: ReconciliationReportView, nullable: true })
  lastRun: ReconciliationReportView | null;
}
