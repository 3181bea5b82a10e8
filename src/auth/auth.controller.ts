import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { LoginUserRequest, UserResponse } from './account.dto.js';
import { AccountService } from './account.service.js';
import { ThrottleCredentials } from './credentials-throttle.js';
import type { AuthContext } from './auth-context.js';
import { CurrentUser, RequireAuth } from './auth.decorators.js';
import { AuthService } from './auth.service.js';

export class RevokedSessionsResponse {
  @ApiProperty({ description: 'How many other sessions ended' }) revoked: number;
}

/** Sessions: login opens one, logout ends it, revoke ends the caller's others. */
@ApiTags('User and Authentication')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly accounts: AccountService,
  ) {}

  @Post('users/login')
  @ThrottleCredentials()
  @ApiTooManyRequestsResponse({
    description: 'Too many attempts from this address or for this email',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: UserResponse })
  async login(@Body() body: LoginUserRequest): Promise<UserResponse> {
    return { user: await this.accounts.login(body.user) };
  }

  /** Extension: ends the session behind this token; the token is refused from now on. */
  @Post('users/logout')
  @RequireAuth()
  @ApiSecurity('Token')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Session revoked' })
  async logout(@CurrentUser() auth: AuthContext): Promise<void> {
    await this.auth.logout(auth);
  }

  /** Extension: ends every other session of the caller; the token of this request stays valid. */
  @Post('user/sessions/revoke')
  @RequireAuth()
  @ApiSecurity('Token')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: RevokedSessionsResponse })
  async revokeOthers(@CurrentUser() auth: AuthContext): Promise<RevokedSessionsResponse> {
    return { revoked: await this.auth.revokeOtherSessions(auth) };
  }
}
