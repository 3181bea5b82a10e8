import { ApiProperty } from '@nestjs/swagger';

/** The viewer-independent part of a profile: what the profile cache holds. */
export interface PublicProfile {
  id: number;
  username: string;
  bio: string | null;
  image: string | null;
}

export class ProfileView {
  @ApiProperty() username: string;
  @ApiProperty({ type: String, nullable: true }) bio: string | null;
  @ApiProperty({ type: String, nullable: true }) image: string | null;
  @ApiProperty({ description: 'Whether the viewer follows this user' }) following: boolean;
}

export class ProfileResponse {
  @ApiProperty({ type: ProfileView }) profile: ProfileView;
}
