import { Injectable } from '@nestjs/common';
import { FollowsService } from '../follows/follows.service.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { ArticleCache } from './article-cache.js';
import type { ArticleIdPage, SharedArticle } from './article.model.js';
import type { ArticleView, MultipleArticlesResponse } from './dto/article-responses.dto.js';
import { FavoriteFlags } from '../favorites/favorite-flags.service.js';
import { ViewsCounter } from '../views/views-counter.service.js';

/**
 * Turns cached, viewer-independent articles into responses for one viewer: the author's profile
 * (profile cache), the viewer's `following` and `favorited` flags (Redis sets), pending views.
 * Every step is batched: a page costs a constant number of Redis round trips.
 */
@Injectable()
export class ArticlePresenter {
  constructor(
    private readonly profiles: UserDirectory,
    private readonly follows: FollowsService,
    private readonly favorites: FavoriteFlags,
    private readonly views: ViewsCounter,
    private readonly redis: RedisGateway,
  ) {}

  /** Responses for one viewer, with the body (one article) or without (list items). */
  async present(
    articles: SharedArticle[],
    viewerId: number | undefined,
    withBody: boolean,
  ): Promise<ArticleView[]> {
    const authorIds = [...new Set(articles.map((article) => article.authorId))];
    const articleIds = articles.map((article) => article.id);
    const [authors, { following, favorited }, pending] = await Promise.all([
      this.profiles.getManyByIds(authorIds),
      this.viewerFlags(viewerId, authorIds, articleIds),
      this.views.pending(articleIds),
    ]);
    const followingByAuthor = new Map<number, boolean>();
    authorIds.forEach((id, i) => followingByAuthor.set(id, following[i]));
    const views: ArticleView[] = [];
    for (let i = 0; i < articles.length; i++) {
      const article = articles[i];
      const author = authors.get(article.authorId);
      if (!author) continue; // deleted between the two reads
      // Built field by field in one literal (no `...(withBody ? …)` spread): a spread allocates
      // a temporary object per article and gives list items and single articles different
      // shapes; a list page builds 20 of these per request.
      const view: ArticleView = {
        slug: article.slug,
        title: article.title,
        description: article.description,
        body: withBody ? article.body : undefined,
        tagList: article.tagList,
        createdAt: article.createdAt,
        updatedAt: article.updatedAt,
        favorited: favorited[i],
        favoritesCount: article.favoritesCount,
        viewsCount: article.viewsCount + pending[i],
        author: {
          username: author.username,
          bio: author.bio,
          image: author.image,
          following: followingByAuthor.get(article.authorId) ?? false,
        },
      };
      views.push(view);
    }
    return views;
  }

  /**
   * The viewer's `following` (per author) and `favorited` (per article) flags of a whole page in
   * one Redis command (one per slot on Cluster): the viewer's following zset and every favoriter
   * set. Structures not loaded yet (and a Redis failure) are answered by Postgres.
   */
  async viewerFlags(
    viewerId: number | undefined,
    authorIds: number[],
    articleIds: number[],
  ): Promise<{ following: boolean[]; favorited: boolean[] }> {
    if (viewerId === undefined) {
      return { following: authorIds.map(() => false), favorited: articleIds.map(() => false) };
    }
    const probes = [
      ...this.follows.followingProbes(viewerId, authorIds),
      ...this.favorites.probes(viewerId, articleIds),
    ];
    // Counted and logged by the gateway on failure: every flag then comes from Postgres.
    const answers = await this.redis.memberFlags('viewer.flags', probes).catch(() => undefined);
    const [following, favorited] = await Promise.all([
      this.follows.followingFrom(viewerId, authorIds, answers?.slice(0, authorIds.length)),
      this.favorites.from(viewerId, articleIds, answers?.slice(authorIds.length)),
    ]);
    return { following, favorited };
  }
}

/** A page of ids (a list, the feed) as the response for one viewer: articles from the cache. */
@Injectable()
export class ArticlePages {
  constructor(
    private readonly articles: ArticleCache,
    private readonly presenter: ArticlePresenter,
  ) {}

  async present(
    page: ArticleIdPage,
    viewerId: number | undefined,
  ): Promise<MultipleArticlesResponse> {
    const articles = await this.articles.byIds(page.ids);
    return {
      articles: await this.presenter.present(articles, viewerId, false),
      articlesCount: page.articlesCount,
    };
  }
}
