import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CountersModule } from '../counters/counters.module.js';
import { Follow } from './follow.entity.js';
import { FolloweesCache } from './followees-cache.js';
import { FollowGraphStore } from './follow-graph.store.js';
import { FollowsRepository } from './follows.repository.js';
import { FollowsService } from './follows.service.js';

/**
 * The follow graph (Postgres rows, Redis zsets, counts). No routes of its own: profiles serve
 * them, the feed and article pages read the viewer's flags and followees through FollowsService.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Follow]), CountersModule],
  providers: [FollowsService, FollowsRepository, FollowGraphStore, FolloweesCache],
  exports: [FollowsService],
})
export class FollowsModule {}
