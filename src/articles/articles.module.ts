import { CountersModule } from '../counters/counters.module.js';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Article, ArticleTag, Comment, Favorite } from './article.entity.js';
import { FollowsModule } from '../follows/follows.module.js';
import { UsersModule } from '../users/users.module.js';
import {
  ArticleListPersonalizer,
  ArticlePresenter,
  SingleArticlePersonalizer,
} from './article-presenter.js';
import { ArticlesController } from './articles.controller.js';
import { ArticlesRepository } from './articles.repository.js';
import { ArticlesService } from './articles.service.js';
import { CommentsController } from '../comments/comments.controller.js';
import { CommentsRepository } from '../comments/comments.repository.js';
import { CommentsService } from '../comments/comments.service.js';
import { FavoritesStore } from '../favorites/favorites.store.js';
import { FeedService } from '../feed/feed.service.js';
import { TimelineAudit } from '../feed/timeline-audit.service.js';
import { TimelineFanout } from '../feed/timeline-fanout.service.js';
import { TIMELINE_QUEUE, TimelineProcessor, TimelineQueue } from '../feed/timeline-queue.js';
import { TimelineStore } from '../feed/timeline.store.js';
import { TagsController } from '../tags/tags.controller.js';
import { ViewsCounter } from '../views/views-counter.service.js';
import { ViewsFlushProcessor } from '../views/views-flush.processor.js';
import { VIEWS_QUEUE } from '../views/views-queue.js';
import { QueueModule, workerProvider } from '../queue/queue.module.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Article, ArticleTag, Favorite, Comment]),
    CountersModule,
    UsersModule,
    FollowsModule,
    QueueModule.forFeature(VIEWS_QUEUE, TIMELINE_QUEUE),
  ],
  controllers: [ArticlesController, CommentsController, TagsController],
  providers: [
    ArticlesService,
    ArticlesRepository,
    ArticlePresenter,
    SingleArticlePersonalizer,
    ArticleListPersonalizer,
    CommentsService,
    CommentsRepository,
    FavoritesStore,
    ViewsCounter,
    workerProvider(ViewsFlushProcessor),
    FeedService,
    TimelineStore,
    TimelineFanout,
    TimelineAudit,
    TimelineQueue,
    workerProvider(TimelineProcessor),
  ],
  exports: [ArticlesService, ViewsCounter, TimelineFanout, TimelineAudit],
})
export class ArticlesModule {}
