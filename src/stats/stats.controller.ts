import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OptionalAuth } from '../auth/auth.decorators.js';
import { OnlineUsersResponse } from './online.dto.js';
import { OnlineUsersService } from './online-users.service.js';

/** Public statistics: online users. */
@ApiTags('Stats')
@Controller('stats')
export class StatsController {
  constructor(private readonly online: OnlineUsersService) {}

  /** How many distinct users made an authenticated request within the window. */
  @Get('online')
  @OptionalAuth()
  @ApiOkResponse({ type: OnlineUsersResponse })
  async onlineUsers(): Promise<OnlineUsersResponse> {
    return { online: await this.online.count(), windowSeconds: this.online.windowSeconds };
  }
}
