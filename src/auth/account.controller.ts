import { Body, Controller, Get, HttpCode, HttpStatus, Post, Put } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { AuthContext } from './auth-context.js';
import { CurrentUser, RequireAuth } from './auth.decorators.js';
import {
  LoginUserRequest,
  NewUserRequest,
  UpdateUserRequest,
  UserResponse,
} from './account.dto.js';
import { ThrottleCredentials } from './credentials-throttle.js';
import { UsersService } from './account.service.js';

@ApiTags('User and Authentication')
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('users')
  @ThrottleCredentials()
  @ApiTooManyRequestsResponse({
    description: 'Too many attempts from this address or for this email',
  })
  @ApiCreatedResponse({ type: UserResponse })
  async register(@Body() body: NewUserRequest): Promise<UserResponse> {
    return { user: await this.users.register(body.user) };
  }

  @Post('users/login')
  @ThrottleCredentials()
  @ApiTooManyRequestsResponse({
    description: 'Too many attempts from this address or for this email',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: UserResponse })
  async login(@Body() body: LoginUserRequest): Promise<UserResponse> {
    return { user: await this.users.login(body.user) };
  }

  @Get('user')
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: UserResponse })
  async current(@CurrentUser() auth: AuthContext): Promise<UserResponse> {
    return { user: await this.users.current(auth) };
  }

  @Put('user')
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: UserResponse })
  async update(
    @CurrentUser() auth: AuthContext,
    @Body() body: UpdateUserRequest,
  ): Promise<UserResponse> {
    return { user: await this.users.update(auth, body.user) };
  }
}
