import { Injectable } from '@nestjs/common';
import type { AuthContext } from '../auth/auth-context.js';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { ResponsePersonalizer } from '../cache/cached.decorator.js';
import { FollowsService } from '../follows/follows.service.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import type { MemberFlag } from '../redis/scripts/index.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { ArticlesRepository } from './articles.repository.js';
import type {
  ArticleIdPage,
  ArticleSummary,
  ArticleView,
  MultipleArticlesResponse,
  SharedArticle,
  SingleArticleResponse,
} from './dto/article.dto.js';
import { FavoritesStore } from '../favorites/favorites.store.js';
import { ViewsCounter } from '../views/views-counter.service.js';

/**
 * Turns cached, viewer-independent articles into responses for one viewer: the author's profile
 * (profile cache), the viewer's `following` and `favorited` flags (Redis sets), pending views.
 * Every step is batched: a page costs a constant number of Redis round trips.
 */
@Injectable()
export class ArticlePresenter {
  private readonly summaryPolicy;

  constructor(
    private readonly articles: ArticlesRepository,
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
    private readonly profiles: UserDirectory,
    private readonly follows: FollowsService,
    private readonly favorites: FavoritesStore,
    private readonly views: ViewsCounter,
    private readonly redis: RedisGateway,
  ) {
    this.summaryPolicy = cache.policy('article-summary');
  }

  /**
   * Article summaries (no body) by id, from the summary cache: one MGET (or the in-process tier)
   * plus one query for the misses. Lists never carry bodies, so they neither fetch nor decode them.
   */
  async summariesByIds(ids: number[]): Promise<ArticleSummary[]> {
    const found = await this.cache.getMany(
      ids,
      (id) => this.keys.articleSummary(id),
      async (missing) =>
        new Map((await this.articles.findSummaries(missing)).map((a) => [a.id, a])),
      this.summaryPolicy,
    );
    return ids.map((id) => found.get(id)).filter((article): article is ArticleSummary => !!article);
  }

  /**
   * Responses for one viewer, with the body (whole articles: `articles` must then be
   * SharedArticles) or without (list items).
   */
  async present(
    articles: (ArticleSummary | SharedArticle)[],
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
    const followingByAuthor = new Map(authorIds.map((id, i) => [id, following[i]]));
    const views: ArticleView[] = [];
    articles.forEach((article, i) => {
      const author = authors.get(article.authorId);
      if (!author) return; // deleted between the two reads
      views.push({
        slug: article.slug,
        title: article.title,
        description: article.description,
        ...(withBody ? { body: (article as SharedArticle).body } : {}),
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
      });
    });
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
      this.favoritedFrom(viewerId, articleIds, answers?.slice(authorIds.length)),
    ]);
    return { following, favorited };
  }

  /** `favorited` flags from the favoriter sets' answers; sets not loaded are rebuilt meanwhile. */
  private async favoritedFrom(
    viewerId: number,
    articleIds: number[],
    answers: MemberFlag[] | undefined,
  ): Promise<boolean[]> {
    const unknown = articleIds.filter((_, i) => answers === undefined || answers[i] === -1);
    if (unknown.length === 0) return answers!.map((answer) => answer === 1);
    const fromDb = await this.articles.favoritedAmong(viewerId, unknown);
    if (answers) for (const id of unknown) this.rebuildInBackground(id);
    return articleIds.map((id, i) =>
      answers === undefined || answers[i] === -1 ? fromDb.has(id) : answers[i] === 1,
    );
  }

  private rebuildInBackground(articleId: number): void {
    // A failure is counted and logged by the gateway; the next read tries again.
    this.favorites.rebuild(articleId, this.articles.favoriterIds(articleId)).catch(() => undefined);
  }
}

/** GET /articles/:slug after the cache: counts the view, adds the viewer's flags. */
@Injectable()
export class SingleArticlePersonalizer implements ResponsePersonalizer<
  SharedArticle,
  SingleArticleResponse
> {
  constructor(
    private readonly presenter: ArticlePresenter,
    private readonly views: ViewsCounter,
  ) {}

  async personalize(
    shared: SharedArticle,
    viewer: AuthContext | undefined,
  ): Promise<SingleArticleResponse> {
    this.views.record(shared.id);
    const [article] = await this.presenter.present([shared], viewer?.userId, true);
    return { article };
  }
}

/** List endpoints after the cache: hydrates the cached id page into articles for this viewer. */
@Injectable()
export class ArticleListPersonalizer implements ResponsePersonalizer<
  ArticleIdPage,
  MultipleArticlesResponse
> {
  constructor(private readonly presenter: ArticlePresenter) {}

  async personalize(
    page: ArticleIdPage,
    viewer: AuthContext | undefined,
  ): Promise<MultipleArticlesResponse> {
    const summaries = await this.presenter.summariesByIds(page.ids);
    return {
      articles: await this.presenter.present(summaries, viewer?.userId, false),
      articlesCount: page.articlesCount,
    };
  }
}
