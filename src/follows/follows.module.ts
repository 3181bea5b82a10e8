import { CountersModule } from '../counters/counters.module.js';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Follow } from './follow.entity.js';
import { UsersModule } from '../users/users.module.js';
import { FollowGraphStore } from './follow-graph.store.js';
import { FollowsRepository } from './follows.repository.js';
import { FollowsService } from './follows.service.js';
import { ProfilesController } from '../profiles/profiles.controller.js';

@Module({
  imports: [TypeOrmModule.forFeature([Follow]), CountersModule, UsersModule],
  controllers: [ProfilesController],
  providers: [FollowsService, FollowsRepository, FollowGraphStore],
  exports: [FollowsService],
})
export class FollowsModule {}
