import { Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiSecurity, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from './auth-context.js';
import { CurrentUser, RequireAuth } from './auth.decorators.js';
import { AuthService } from './auth.service.js';

@ApiTags('User and Authentication')
@Controller('users')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Extension: ends the session behind this token; the token is refused from now on. */
  @Post('logout')
  @RequireAuth()
  @ApiSecurity('Token')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Session revoked' })
  async logout(@CurrentUser() auth: AuthContext): Promise<void> {
    await this.auth.logout(auth);
  }
}
