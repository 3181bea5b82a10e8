import { Module } from '@nestjs/common';
import { ArticlesModule } from '../articles/articles.module.js';
import { CountersModule } from '../counters/counters.module.js';
import { FollowsModule } from '../follows/follows.module.js';
import { QueueModule, workerProvider } from '../queue/queue.module.js';
import { FeedController } from './feed.controller.js';
import { FeedRepository } from './feed.repository.js';
import { FeedService } from './feed.service.js';
import { TimelineAudit } from './timeline-audit.service.js';
import { TimelineFanout } from './timeline-fanout.service.js';
import { TIMELINE_QUEUE, TimelineProcessor, TimelineQueue } from './timeline-queue.js';
import { TimelineStore } from './timeline.store.js';

/**
 * GET /articles/feed and the timelines behind it (fan-out jobs, audit). Above ArticlesModule:
 * a feed page is hydrated and presented like every article list.
 */
@Module({
  imports: [ArticlesModule, CountersModule, FollowsModule, QueueModule.forFeature(TIMELINE_QUEUE)],
  controllers: [FeedController],
  providers: [
    FeedService,
    FeedRepository,
    TimelineStore,
    TimelineFanout,
    TimelineAudit,
    TimelineQueue,
    workerProvider(TimelineProcessor),
  ],
  exports: [TimelineAudit],
})
export class FeedModule {}
