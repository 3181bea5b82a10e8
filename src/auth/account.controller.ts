import { Body, Controller, Get, Post, Put } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { AuthContext } from './auth-context.js';
import { CurrentUser, RequireAuth } from './auth.decorators.js';
import { NewUserRequest, UpdateUserRequest, UserResponse } from './account.dto.js';
import { ThrottleCredentials } from './credentials-throttle.js';
import { AccountService } from './account.service.js';

/** The caller's account: registration, the current user, updates. Login lives with sessions. */
@ApiTags('User and Authentication')
@Controller()
export class AccountController {
  constructor(private readonly accounts: AccountService) {}

  @Post('users')
  @ThrottleCredentials()
  @ApiTooManyRequestsResponse({
    description: 'Too many attempts from this address or for this email',
  })
  @ApiCreatedResponse({ type: UserResponse })
  async register(@Body() body: NewUserRequest): Promise<UserResponse> {
    return { user: await this.accounts.register(body.user) };
  }

  @Get('user')
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: UserResponse })
  async current(@CurrentUser() auth: AuthContext): Promise<UserResponse> {
    return { user: await this.accounts.current(auth) };
  }

  @Put('user')
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: UserResponse })
  async update(
    @CurrentUser() auth: AuthContext,
    @Body() body: UpdateUserRequest,
  ): Promise<UserResponse> {
    return { user: await this.accounts.update(auth, body.user) };
  }
}
