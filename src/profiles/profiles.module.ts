import { Module } from '@nestjs/common';
import { CountersModule } from '../counters/counters.module.js';
import { FollowsModule } from '../follows/follows.module.js';
import { UsersModule } from '../users/users.module.js';
import { ProfilesController } from './profiles.controller.js';
import { ProfilesService } from './profiles.service.js';

/** Every `/profiles/:username` route: profiles, follow and unfollow, follow lists, counts. */
@Module({
  imports: [UsersModule, FollowsModule, CountersModule],
  controllers: [ProfilesController],
  providers: [ProfilesService],
})
export class ProfilesModule {}
