import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CountersModule } from '../counters/counters.module.js';
import { FavoritesModule } from '../favorites/favorites.module.js';
import { FollowsModule } from '../follows/follows.module.js';
import { UsersModule } from '../users/users.module.js';
import { ViewsModule } from '../views/views.module.js';
import { ArticleMetrics } from './article-metrics.js';
import { ArticleCache } from './article-cache.js';
import { ArticleLists } from './article-lists.js';
import { ArticlePages, ArticlePresenter } from './article-presenter.js';
import { ArticlesController } from './articles.controller.js';
import { ArticlesRepository } from './articles.repository.js';
import { ArticlesService } from './articles.service.js';
import { Article, ArticleTag } from './article.entity.js';

/**
 * /articles and /articles/:slug (CRUD), and the presenter that turns cached articles into
 * responses. Favorites and views sit below it (the presenter asks them for flags and pending
 * views); comments, the favorite routes and the feed sit above it.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Article, ArticleTag]),
    CountersModule,
    UsersModule,
    FollowsModule,
    FavoritesModule,
    ViewsModule,
  ],
  controllers: [ArticlesController],
  providers: [
    ArticlesService,
    ArticlesRepository,
    ArticleMetrics,
    ArticleCache,
    ArticleLists,
    ArticlePresenter,
    ArticlePages,
  ],
  // Comments and the favorite routes resolve slugs and answer with articles; the feed presents
  // its pages like every list.
  exports: [ArticlesService, ArticlePages],
})
export class ArticlesModule {}
