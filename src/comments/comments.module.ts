import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ArticlesModule } from '../articles/articles.module.js';
import { FollowsModule } from '../follows/follows.module.js';
import { UsersModule } from '../users/users.module.js';
import { CommentsController } from './comments.controller.js';
import { CommentsRepository } from './comments.repository.js';
import { CommentsService } from './comments.service.js';
import { Comment } from '../articles/article.entity.js';

/** /articles/:slug/comments: read from Postgres, authors from the profile cache. */
@Module({
  imports: [TypeOrmModule.forFeature([Comment]), ArticlesModule, UsersModule, FollowsModule],
  controllers: [CommentsController],
  providers: [CommentsService, CommentsRepository],
})
export class CommentsModule {}
