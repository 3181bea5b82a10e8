import { ApiProperty } from '@nestjs/swagger';

export class OnlineUsersResponse {
  @ApiProperty({ description: 'Distinct users seen within the window' }) online: number;
  @ApiProperty() windowSeconds: number;
}
