import { Injectable } from '@nestjs/common';
import { FollowsService } from '../follows/follows.service.js';
import type { PublicProfile } from '../users/public-profile.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { ArticleCache } from './article-cache.js';
import type { ArticleIdPage, SharedArticle } from './article.model.js';
import type { JsonText } from '../common/json-text.js';
import { type ArticleParts, articlesPageJson, singleArticleJson } from './article-json.js';
import type {
  MultipleArticlesResponse,
  SingleArticleResponse,
} from './dto/article-responses.dto.js';
import { FavoriteFlags } from '../favorites/favorite-flags.service.js';
import { ViewsCounter } from '../views/views-counter.service.js';

/** Each author of these articles once, in first-seen order (the order their flags come in). */
function authorIdsOf(articles: SharedArticle[]): number[] {
  return [...new Set(articles.map((article) => article.authorId))];
}

/**
 * Turns cached, viewer-independent articles into responses for one viewer: the author's profile
 * (profile cache), the viewer's `following` and `favorited` flags (Redis sets), and for a single
 * article the pending views. Every step is batched: a page costs a constant number of Redis round trips. Responses are
 * written as JSON text (article-json.ts).
 */
@Injectable()
export class ArticlePresenter {
  constructor(
    private readonly profiles: UserDirectory,
    private readonly follows: FollowsService,
    private readonly favorites: FavoriteFlags,
    private readonly views: ViewsCounter,
  ) {}

  /**
   * What each article shows one viewer: the author's profile, the viewer's flags, the views
   * (article-json.ts writes the response from these). Leaves out an article whose author was
   * deleted between the two reads. `pendingViews`: the views not flushed yet, per article, to add.
   * A single article has them; list items show the views as of the last flush (at most
   * VIEWS_FLUSH_INTERVAL_MS old, patched into the cached object by the flush), which spares every
   * list page and feed page a Redis read of 2 x 20 hash fields: an anonymous list page then
   * needs no Redis call at all when the tier is warm.
   */
  async present(
    articles: SharedArticle[],
    viewerId: number | undefined,
    pendingViews?: Promise<number[]>,
  ): Promise<ArticleParts[]> {
    return this.presentWith(articles, this.authorsOf(articles), viewerId, pendingViews);
  }

  /** The authors of these articles (profile cache); a deleted author is missing or null. */
  authorsOf(articles: SharedArticle[]): Promise<Map<number, PublicProfile | null>> {
    return this.profiles.getManyByIds(authorIdsOf(articles));
  }

  /** `present` with the authors given (already known, or being read). */
  async presentWith(
    articles: SharedArticle[],
    authorsRead: Map<number, PublicProfile | null> | Promise<Map<number, PublicProfile | null>>,
    viewerId: number | undefined,
    pendingViews?: Promise<number[]>,
  ): Promise<ArticleParts[]> {
    const authorIds = authorIdsOf(articles);
    const articleIds = articles.map((article) => article.id);
    const [authors, { following, favorited }, pending] = await Promise.all([
      authorsRead,
      this.viewerFlags(viewerId, authorIds, articleIds),
      pendingViews,
    ]);
    const followingByAuthor = new Map<number, boolean>();
    authorIds.forEach((id, i) => followingByAuthor.set(id, following[i]));
    const parts: ArticleParts[] = [];
    for (let i = 0; i < articles.length; i++) {
      const article = articles[i];
      const author = authors.get(article.authorId);
      if (!author) continue; // deleted between the two reads
      parts.push({
        article,
        author,
        following: followingByAuthor.get(article.authorId) ?? false,
        favorited: favorited[i],
        viewsCount: pending ? article.viewsCount + pending[i] : article.viewsCount,
      });
    }
    return parts;
  }

  /**
   * `{"article": …}` for one viewer, or null when its author is gone. `pendingViews`: what a read
   * got back from counting its view (ViewsCounter.count); other answers (a write's) read them.
   */
  async single(
    article: SharedArticle,
    viewerId: number | undefined,
    pendingViews: Promise<number> = this.views.pending([article.id]).then(([views]) => views),
  ): Promise<JsonText<SingleArticleResponse> | null> {
    const [parts] = await this.present(
      [article],
      viewerId,
      pendingViews.then((views) => [views]),
    );
    return parts ? singleArticleJson(parts) : null;
  }

  /**
   * The viewer's `following` (per author) and `favorited` (per article) flags of a whole page in
   * one Redis round trip at most: `following` from the viewer's followees in the in-process tier
   * when held (else the following zset), `favorited` from one SMISMEMBER on the viewer's
   * favorites set, sent together. Plain commands, no script: a Lua call costs Redis several times
   * the lookups it makes. Structures not loaded yet (and a Redis failure) are answered by Postgres.
   */
  async viewerFlags(
    viewerId: number | undefined,
    authorIds: number[],
    articleIds: number[],
  ): Promise<{ following: boolean[]; favorited: boolean[] }> {
    if (viewerId === undefined) {
      return { following: authorIds.map(() => false), favorited: articleIds.map(() => false) };
    }
    const [following, favorited] = await Promise.all([
      this.follows.followingFlags(viewerId, authorIds),
      this.favorites.of(viewerId, articleIds),
    ]);
    return { following, favorited };
  }
}

/** What a cached page of ids resolved to: its articles and authors, from the tier. */
interface ResolvedPage {
  articles: SharedArticle[];
  authors: Map<number, PublicProfile | null>;
  /** The tier's objects it was made of: the page stays resolved while each is still held. */
  ingredients: object[];
  /** Date.now() past which it is resolved again (tier entries expire only when read). */
  until: number;
  /** The anonymous response, once written (no viewer flags: the same for every anonymous reader). */
  anonymous?: JsonText<MultipleArticlesResponse>;
}

/** How long a resolved page may skip the tier's own reads (and with them its TTL checks). */
const RESOLVED_PAGE_MS = 1000;

/**
 * A page of ids (a list, the feed) as the response for one viewer: articles from the cache.
 * A cached list page (the same tier object request after request) remembers what it resolved to
 * (WeakMap beside the object), reused while every article and author it used is still the tier's
 * (CacheAsideService.stillCurrent: any invalidation, eviction or refill of one of them, a tier
 * drop, an unconfirmed invalidation or Redis unusable ends it), at most RESOLVED_PAGE_MS. It spares
 * ~40 tier lookups per page; an anonymous page also reuses its written response.
 */
@Injectable()
export class ArticlePages {
  private readonly resolved = new WeakMap<ArticleIdPage, ResolvedPage>();

  constructor(
    private readonly articles: ArticleCache,
    private readonly presenter: ArticlePresenter,
    private readonly cache: CacheAsideService,
  ) {}

  async present(
    page: ArticleIdPage,
    viewerId: number | undefined,
  ): Promise<JsonText<MultipleArticlesResponse>> {
    const now = Date.now();
    const known = this.stillResolved(page, now);
    if (known?.anonymous && viewerId === undefined) return known.anonymous;
    const articles = known?.articles ?? (await this.articles.byIds(page.ids));
    // Read beside the viewer's flags (presentWith), not before them.
    const authors = known?.authors ?? this.presenter.authorsOf(articles);
    const text = articlesPageJson(
      await this.presenter.presentWith(articles, authors, viewerId),
      page.articlesCount,
    );
    if (known) {
      if (viewerId === undefined) known.anonymous = text;
    } else this.remember(page, articles, await authors, now);
    return text;
  }

  /** What the page resolved to, while every ingredient is still the tier's and it is young. */
  private stillResolved(page: ArticleIdPage, now: number): ResolvedPage | undefined {
    const known = this.resolved.get(page);
    if (!known) return undefined;
    if (known.until >= now && this.cache.stillCurrent(known.ingredients)) return known;
    this.resolved.delete(page);
    return undefined;
  }

  /** Only a page the tier holds, whose every article and author the tier holds too. */
  private remember(
    page: ArticleIdPage,
    articles: SharedArticle[],
    authors: Map<number, PublicProfile | null>,
    now: number,
  ): void {
    if (articles.length !== page.ids.length) return; // an article missing: not worth keeping
    const ingredients: object[] = [page, ...articles];
    for (const author of authors.values()) {
      if (author === null) return;
      ingredients.push(author);
    }
    if (!this.cache.stillCurrent(ingredients)) return;
    this.resolved.set(page, { articles, authors, ingredients, until: now + RESOLVED_PAGE_MS });
  }
}
