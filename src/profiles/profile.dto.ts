import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LimitField } from '../common/pagination.js';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The RealWorld profile, as every list and author field shows it. */
export class ProfileView {
  @ApiProperty() username: string;
  @ApiProperty({ type: String, nullable: true }) bio: string | null;
  @ApiProperty({ type: String, nullable: true }) image: string | null;
  @ApiProperty({ description: 'Whether the viewer follows this user' }) following: boolean;
}

/** GET /profiles/:username adds the user's counts (extension fields RealWorld clients ignore). */
export class ProfileWithCountsView extends ProfileView {
  @ApiProperty() followersCount: number;
  @ApiProperty() followingCount: number;
  @ApiProperty() articlesCount: number;
  @ApiProperty() favoritesReceivedCount: number;
}

export class ProfileResponse {
  @ApiProperty({ type: ProfileWithCountsView }) profile: ProfileWithCountsView;
}

export class FollowListQuery {
  @LimitField(20)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;
}

export class FollowListResponse {
  @ApiProperty({ type: [ProfileView] }) profiles: ProfileView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor: string | null;
}
