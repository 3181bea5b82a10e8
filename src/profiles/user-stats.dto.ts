import { ApiProperty } from '@nestjs/swagger';

export class UserStatsView {
  @ApiProperty() username: string;
  @ApiProperty() articles: number;
  @ApiProperty() followers: number;
  @ApiProperty() following: number;
  @ApiProperty({ description: 'Favorites received by the user’s articles' }) likes: number;
  @ApiProperty() views: number;
}

export class UserStatsResponse {
  @ApiProperty({ type: UserStatsView }) stats: UserStatsView;
}
