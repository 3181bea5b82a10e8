import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { LimitField, OffsetField } from '../common/pagination.js';
import { USER_METRICS } from '../counters/metric-registry.js';
import type { UserMetric } from '../redis/keys.js';

export const DEFAULT_LEADERBOARD_LIMIT = 10;

export class MetricParams {
  @ApiProperty({ enum: USER_METRICS, description: '`likes` = favorites received' })
  @IsIn(USER_METRICS)
  metric: UserMetric;
}

export class LeaderboardQuery {
  @LimitField(DEFAULT_LEADERBOARD_LIMIT)
  limit?: number;

  @OffsetField(1_000_000_000)
  offset?: number;
}

export class LeaderboardProfile {
  @ApiProperty() username: string;
  @ApiProperty({ type: String, nullable: true }) bio: string | null;
  @ApiProperty({ type: String, nullable: true }) image: string | null;
}

export class LeaderboardEntryView {
  @ApiProperty({ description: '1-based position; equal scores get consecutive ranks' })
  rank: number;
  @ApiProperty() score: number;
  @ApiProperty({ type: LeaderboardProfile }) profile: LeaderboardProfile;
}

export class LeaderboardResponse {
  @ApiProperty({ enum: USER_METRICS }) metric: UserMetric;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
  @ApiProperty({ description: 'Users on the board' }) total: number;
  @ApiProperty({ type: [LeaderboardEntryView] }) entries: LeaderboardEntryView[];
}
