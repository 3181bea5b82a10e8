import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context.js';
import { OptionalAuth, Viewer } from '../auth/auth.decorators.js';
import { NotFoundError } from '../common/domain-error.js';
import { ProfileResponse } from './dto/profile.dto.js';
import { ProfilesService } from './profiles.service.js';

@ApiTags('Profile')
@Controller('profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get(':username')
  @OptionalAuth()
  @ApiOkResponse({ type: ProfileResponse })
  async get(
    @Param('username') username: string,
    @Viewer() _viewer: AuthContext | undefined,
  ): Promise<ProfileResponse> {
    const profile = await this.profiles.getByUsername(username);
    if (!profile) throw new NotFoundError('profile not found');
    // Nobody follows anybody until the follows module exists (it takes this route over).
    return {
      profile: {
        username: profile.username,
        bio: profile.bio,
        image: profile.image,
        following: false,
      },
    };
  }
}
