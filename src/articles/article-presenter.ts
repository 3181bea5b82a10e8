import { Injectable } from '@nestjs/common';
import type { AuthContext } from '../auth/auth-context.js';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { ResponsePersonalizer } from '../cache/cached.decorator.js';
import { FollowsService } from '../follows/follows.service.js';
import { RedisKeys } from '../redis/keys.js';
import { ProfilesService } from '../users/profiles.service.js';
import { ArticlesRepository } from './articles.repository.js';
import type {
  ArticleIdPage,
  ArticleView,
  MultipleArticlesResponse,
  SharedArticle,
  SingleArticleResponse,
} from './dto/article.dto.js';
import { FavoritesStore } from './favorites.store.js';
import { ViewsCounter } from './views-counter.service.js';

/**
 * Turns cached, viewer-independent articles into responses for one viewer: the author's profile
 * (profile cache), the viewer's `following` and `favorited` flags (Redis sets), pending views.
 * Every step is batched: a page costs a constant number of Redis round trips.
 */
@Injectable()
export class ArticlePresenter {
  private readonly articlePolicy;

  constructor(
    private readonly articles: ArticlesRepository,
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
    private readonly profiles: ProfilesService,
    private readonly follows: FollowsService,
    private readonly favorites: FavoritesStore,
    private readonly views: ViewsCounter,
  ) {
    this.articlePolicy = cache.policy('article');
  }

  /** Shared articles by id, from the article cache (one pipelined round trip + one query for misses). */
  async sharedByIds(ids: number[]): Promise<SharedArticle[]> {
    const found = await this.cache.getMany(
      ids,
      (id) => this.keys.article(id),
      async (missing) =>
        new Map((await this.articles.findShared({ ids: missing })).map((a) => [a.id, a])),
      this.articlePolicy,
    );
    return ids.map((id) => found.get(id)).filter((article): article is SharedArticle => !!article);
  }

  async present(
    shared: SharedArticle[],
    viewerId: number | undefined,
    withBody: boolean,
  ): Promise<ArticleView[]> {
    const authorIds = [...new Set(shared.map((article) => article.authorId))];
    const articleIds = shared.map((article) => article.id);
    const [authors, following, favorited, pending] = await Promise.all([
      this.profiles.getManyByIds(authorIds),
      this.follows.followingFlags(viewerId, authorIds),
      this.favoritedFlags(viewerId, articleIds),
      this.views.pending(articleIds),
    ]);
    const followingByAuthor = new Map(authorIds.map((id, i) => [id, following[i]]));
    const views: ArticleView[] = [];
    shared.forEach((article, i) => {
      const author = authors.get(article.authorId);
      if (!author) return; // deleted between the two reads
      views.push({
        slug: article.slug,
        title: article.title,
        description: article.description,
        ...(withBody ? { body: article.body } : {}),
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

  async favoritedFlags(viewerId: number | undefined, articleIds: number[]): Promise<boolean[]> {
    if (viewerId === undefined || articleIds.length === 0) return articleIds.map(() => false);
    let flags: (boolean | undefined)[];
    try {
      flags = await this.favorites.flags(viewerId, articleIds);
    } catch {
      // Counted and logged by the gateway: Postgres answers, and no rebuild is tried.
      const fromDb = await this.articles.favoritedAmong(viewerId, articleIds);
      return articleIds.map((id) => fromDb.has(id));
    }
    const unknown = articleIds.filter((_, i) => flags[i] === undefined);
    if (unknown.length === 0) return flags as boolean[];
    const fromDb = await this.articles.favoritedAmong(viewerId, unknown);
    for (const id of unknown) this.rebuildInBackground(id);
    return articleIds.map((id, i) => flags[i] ?? fromDb.has(id));
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
    const shared = await this.presenter.sharedByIds(page.ids);
    return {
      articles: await this.presenter.present(shared, viewer?.userId, false),
      articlesCount: page.articlesCount,
    };
  }
}
