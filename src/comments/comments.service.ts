import { Injectable } from '@nestjs/common';
import { FollowsService } from '../follows/follows.service.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { ArticlesService } from '../articles/articles.service.js';
import { NotTheAuthorError } from '../articles/articles.errors.js';
import { CommentNotFoundError } from './comments.errors.js';
import { CommentsRepository, type CommentRow } from './comments.repository.js';
import type { CommentView } from './comment.dto.js';

/**
 * Comments are read straight from Postgres (one indexed query); the article behind the slug and
 * the authors come from the caches. A cached article may lag a delete on another instance by the
 * invalidation delay: the comment's insert then fails on its foreign key (404), and a list or a
 * delete finds no comment (the delete cascaded), as a read of the article would still show it.
 */
@Injectable()
export class CommentsService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly articles: ArticlesService,
    private readonly profiles: UserDirectory,
    private readonly follows: FollowsService,
  ) {}

  async add(viewerId: number, slug: string, body: string): Promise<CommentView> {
    const article = await this.articles.requireCachedRef(slug);
    const comment = await this.comments.insert(article.id, viewerId, body);
    const [view] = await this.present([comment], viewerId);
    return view;
  }

  async list(slug: string, viewerId: number | undefined): Promise<CommentView[]> {
    const article = await this.articles.requireCachedRef(slug);
    return this.present(await this.comments.listForArticle(article.id), viewerId);
  }

  async delete(viewerId: number, slug: string, commentId: number): Promise<void> {
    const article = await this.articles.requireCachedRef(slug);
    const comment = await this.comments.find(article.id, commentId);
    if (!comment) throw new CommentNotFoundError();
    if (comment.authorId !== viewerId) throw new NotTheAuthorError('comment');
    await this.comments.delete(comment.id);
  }

  private async present(
    comments: CommentRow[],
    viewerId: number | undefined,
  ): Promise<CommentView[]> {
    const authorIds = [...new Set(comments.map((comment) => comment.authorId))];
    const [authors, flags] = await Promise.all([
      this.profiles.getManyByIds(authorIds),
      this.follows.followingFlags(viewerId, authorIds),
    ]);
    const following = new Map(authorIds.map((id, i) => [id, flags[i]]));
    return comments.flatMap((comment) => {
      const author = authors.get(comment.authorId);
      if (!author) return [];
      return [
        {
          id: comment.id,
          createdAt: comment.createdAt,
          updatedAt: comment.updatedAt,
          body: comment.body,
          author: {
            username: author.username,
            bio: author.bio,
            image: author.image,
            following: following.get(comment.authorId) ?? false,
          },
        },
      ];
    });
  }
}
