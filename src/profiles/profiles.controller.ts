import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context.js';
import { CurrentUser, OptionalAuth, RequireAuth, Viewer } from '../auth/auth.decorators.js';
import { FollowListQuery, FollowListResponse, ProfileResponse } from './profile.dto.js';
import { UserStatsResponse } from './user-stats.dto.js';
import { ProfilesService } from './profiles.service.js';

@ApiTags('Profile')
@Controller('profiles/:username')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get()
  @OptionalAuth()
  @ApiOkResponse({ type: ProfileResponse })
  async get(
    @Param('username') username: string,
    @Viewer() viewer: AuthContext | undefined,
  ): Promise<ProfileResponse> {
    return { profile: await this.profiles.profile(username, viewer?.userId) };
  }

  @Post('follow')
  @HttpCode(HttpStatus.OK)
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: ProfileResponse })
  async follow(
    @Param('username') username: string,
    @CurrentUser() viewer: AuthContext,
  ): Promise<ProfileResponse> {
    return { profile: await this.profiles.follow(viewer.userId, username) };
  }

  @Delete('follow')
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: ProfileResponse })
  async unfollow(
    @Param('username') username: string,
    @CurrentUser() viewer: AuthContext,
  ): Promise<ProfileResponse> {
    return { profile: await this.profiles.unfollow(viewer.userId, username) };
  }

  /** Extension: who this user follows, newest first, cursor-paginated. */
  @Get('following')
  @OptionalAuth()
  @ApiOkResponse({ type: FollowListResponse })
  following(
    @Param('username') username: string,
    @Query() query: FollowListQuery,
    @Viewer() viewer: AuthContext | undefined,
  ): Promise<FollowListResponse> {
    return this.profiles.list(username, 'following', viewer?.userId, query.limit, query.cursor);
  }

  /** Extension: who follows this user, newest first, cursor-paginated. */
  @Get('followers')
  @OptionalAuth()
  @ApiOkResponse({ type: FollowListResponse })
  followers(
    @Param('username') username: string,
    @Query() query: FollowListQuery,
    @Viewer() viewer: AuthContext | undefined,
  ): Promise<FollowListResponse> {
    return this.profiles.list(username, 'followers', viewer?.userId, query.limit, query.cursor);
  }

  /** Extension: all counts of one user (public). */
  @Get('stats')
  @OptionalAuth()
  @ApiOkResponse({ type: UserStatsResponse })
  async stats(@Param('username') username: string): Promise<UserStatsResponse> {
    return { stats: await this.profiles.stats(username) };
  }
}
