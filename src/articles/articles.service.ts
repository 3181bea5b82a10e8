import { Injectable } from '@nestjs/common';
import { hasControlCharacters } from '../common/text.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { timelineJob } from '../feed/timeline-jobs.js';
import { OutboxService } from '../outbox/outbox.service.js';
import type { WriteEffects } from '../outbox/write-effects.js';
import { RedisKeys } from '../redis/keys.js';
import { ViewsCounter } from '../views/views-counter.service.js';
import { ArticleCache } from './article-cache.js';
import { articleCacheKeys } from './article-cache-keys.js';
import { ARTICLES_TAG, type ArticleRef, type SharedArticle } from './article.model.js';
import { ArticleLists } from './article-lists.js';
import { ArticlePages, ArticlePresenter } from './article-presenter.js';
import { ArticlesRepository, SlugTakenError } from './articles.repository.js';
import { ArticleNotFoundError, NotTheAuthorError } from './articles.errors.js';
import type { ListArticlesQuery, NewArticle, UpdateArticle } from './dto/article-requests.dto.js';
import type { JsonText } from '../common/json-text.js';
import type {
  MultipleArticlesResponse,
  SingleArticleResponse,
} from './dto/article-responses.dto.js';
import { slugify, withSuffix } from './slug.js';

const SLUG_ATTEMPTS = 5;

/** A slug that could exist; anything else is "not found" without a query (Postgres rejects NUL). */
const plausibleSlug = (slug: string): boolean => slug.length <= 255 && !hasControlCharacters(slug);

/**
 * Articles: reads and the create/update/delete writes. Writes commit to Postgres first, then
 * (only when a row really changed) update Redis: the cached article (and the slug mappings it
 * adds or removes) is deleted, list and tag caches are orphaned by bumping the `articles` tag,
 * author counts move by deltas.
 */
@Injectable()
export class ArticlesService {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly cached: ArticleCache,
    private readonly presenter: ArticlePresenter,
    private readonly views: ViewsCounter,
    private readonly lists: ArticleLists,
    private readonly pages: ArticlePages,
    private readonly counters: UserCountersService,
    private readonly locks: AdvisoryLocks,
    private readonly outbox: OutboxService,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * GET /articles/:slug: slug -> id, then the article, both from the article cache (no SQL when
   * warm; an unknown slug is remembered as such); the view is counted, the viewer's flags added.
   */
  async read(slug: string, viewerId: number | undefined): Promise<JsonText<SingleArticleResponse>> {
    const article = await this.cachedBySlug(slug);
    if (!article) throw new ArticleNotFoundError();
    const view = await this.presenter.single(article, viewerId, this.views.count(article.id));
    if (!view) throw new ArticleNotFoundError(); // its author was deleted meanwhile
    return view;
  }

  /** GET /articles: the cached page of ids for the filters, presented for the viewer. */
  async list(
    query: ListArticlesQuery,
    viewerId: number | undefined,
  ): Promise<JsonText<MultipleArticlesResponse>> {
    return this.pages.present(await this.lists.page(query), viewerId);
  }

  async create(authorId: number, input: NewArticle): Promise<JsonText<SingleArticleResponse>> {
    const id = await this.locks.run([this.counters.writerLock(authorId)], async (manager) => {
      const { result: articleId, recorded } = await this.withFreeSlug(
        slugify(input.title),
        (slug) =>
          this.outbox.transaction(async (tx) => {
            const newId = await this.articles.insert(tx, { ...input, slug, authorId });
            await this.articles.replaceTags(tx, newId, input.tagList ?? []);
            // Lists and tags change (a new article, maybe a new tag); the slug may be cached as
            // unknown (a negative entry).
            return {
              result: newId,
              effects: {
                cacheKeys: articleCacheKeys(this.keys, newId, slug),
                tags: [ARTICLES_TAG],
                recountUsers: [authorId],
                // Fan-out to the followers' timelines, off the request path.
                jobs: [timelineJob('article-created', { articleId: newId })],
              },
            };
          }, manager),
      );
      const counted = await this.counters.apply(authorId, { articles: 1 });
      await this.outbox.complete(recorded, counted);
      return articleId;
    });
    return this.viewById(id, authorId);
  }

  async update(
    viewerId: number,
    slug: string,
    input: UpdateArticle,
  ): Promise<JsonText<SingleArticleResponse>> {
    const ref = await this.requireOwn(viewerId, slug);
    const titleChanged = input.title !== undefined;
    await this.locks.run([], async (manager) => {
      const { recorded } = await this.withFreeSlug(
        titleChanged ? slugify(input.title!) : ref.slug,
        (candidate) =>
          this.outbox.transaction(async (tx) => {
            await this.articles.update(tx, ref.id, {
              slug: titleChanged ? candidate : undefined,
              title: input.title,
              description: input.description,
              body: input.body,
            });
            if (input.tagList !== undefined)
              await this.articles.replaceTags(tx, ref.id, input.tagList);
            // A new slug: the old one's mapping goes, the new one may be cached as unknown.
            const slugs = candidate === ref.slug ? [] : [ref.slug, candidate];
            return { result: candidate, effects: this.staleAfterWrite(ref.id, ...slugs) };
          }, manager),
      );
      await this.outbox.complete(recorded);
    });
    return this.viewById(ref.id, viewerId);
  }

  async delete(viewerId: number, slug: string): Promise<void> {
    const ref = await this.requireOwn(viewerId, slug);
    await this.locks.run([this.counters.writerLock(ref.authorId)], async (manager) => {
      const { result: removed, recorded } = await this.outbox.transaction(async (tx) => {
        const deleted = await this.articles.delete(tx, ref.id);
        return {
          result: deleted,
          effects: deleted
            ? {
                ...this.staleAfterWrite(ref.id, ref.slug),
                // The author's counts lose what it added (the relay recounts them). Its id stays
                // in its favoriters' `favorites` sets: no page shows a deleted article.
                recountUsers: [ref.authorId],
                jobs: [
                  timelineJob('article-deleted', { articleId: ref.id, authorId: ref.authorId }),
                ],
              }
            : null,
        };
      }, manager);
      if (!removed) return;
      const counted = await this.counters.apply(ref.authorId, {
        articles: -1,
        likes: -removed.favoritesCount,
        views: -removed.viewsCount,
      });
      await this.outbox.complete(recorded, counted);
    });
  }

  /**
   * The article as `viewerId` sees it right after a write. Read through the article cache: the
   * write's completion removed the cached copy (every tier), or holds the key back while that is
   * unconfirmed (the cache then reads Postgres), so this reads Postgres and refills the cache for
   * the readers after it, who would otherwise each pay that miss.
   */
  async viewById(articleId: number, viewerId: number): Promise<JsonText<SingleArticleResponse>> {
    const shared = await this.cached.byId(articleId);
    const view = shared ? await this.presenter.single(shared, viewerId) : null;
    if (!view) throw new ArticleNotFoundError();
    return view;
  }

  /**
   * The article behind a slug through the article cache (as a read sees it: no SQL when warm), or
   * 404: for a write whose own statement finds out that the article is gone (a favorite's or a
   * comment's foreign key, an unfavorite that deletes nothing) and for the comments' reads, since
   * a cached copy may lag a delete on another instance by the invalidation delay. Its id and
   * author never change.
   */
  async requireCachedRef(slug: string): Promise<ArticleRef> {
    const article = await this.cachedBySlug(slug);
    if (!article) throw new ArticleNotFoundError();
    return { id: article.id, slug: article.slug, authorId: article.authorId };
  }

  /** The article behind a slug, from Postgres (what writes lock and check), or 404. */
  async requireRef(slug: string): Promise<ArticleRef> {
    const ref = plausibleSlug(slug) ? await this.articles.findRef(slug) : null;
    if (!ref) throw new ArticleNotFoundError();
    return ref;
  }

  /** slug -> id -> article, both through the article cache; null for an unknown slug. */
  private async cachedBySlug(slug: string): Promise<SharedArticle | null> {
    const id = plausibleSlug(slug) ? await this.cached.idBySlug(slug) : null;
    return id === null ? null : this.cached.byId(id);
  }

  private async requireOwn(viewerId: number, slug: string): Promise<ArticleRef> {
    const ref = await this.requireRef(slug);
    if (ref.authorId !== viewerId) throw new NotTheAuthorError();
    return ref;
  }

  /** Runs `write` with the base slug, then with suffixed ones while the slug is taken. */
  private async withFreeSlug<T>(base: string, write: (slug: string) => Promise<T>): Promise<T> {
    let slug = base;
    for (let attempt = 1; ; attempt++) {
      try {
        return await write(slug);
      } catch (error) {
        if (!(error instanceof SlugTakenError) || attempt >= SLUG_ATTEMPTS) throw error;
        slug = withSuffix(base);
      }
    }
  }

  /** What a write makes stale: the article, the slug mappings it moves, lists and tags. */
  private staleAfterWrite(articleId: number, ...slugs: string[]): Partial<WriteEffects> {
    return { cacheKeys: articleCacheKeys(this.keys, articleId, ...slugs), tags: [ARTICLES_TAG] };
  }
}
