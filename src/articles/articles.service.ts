import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { cachedResponseKey } from '../cache/cached.interceptor.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { hasControlCharacters } from '../common/text.js';
import { OutboxService } from '../outbox/outbox.service.js';
import type { WriteEffects } from '../outbox/write-effects.js';
import { RedisKeys } from '../redis/keys.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { ArticlePresenter } from './article-presenter.js';
import { FeedService } from '../feed/feed.service.js';
import {
  type ArticleFilter,
  type ArticleRef,
  ArticlesRepository,
  type AuthorTotals,
  SlugTakenError,
} from './articles.repository.js';
import { ArticleNotFoundError, NotTheAuthorError } from './articles.errors.js';
import type {
  ArticleIdPage,
  ArticleView,
  ListArticlesQuery,
  NewArticle,
  SharedArticle,
  UpdateArticle,
} from './dto/article.dto.js';
import { FavoritesStore } from '../favorites/favorites.store.js';
import { slugify, withSuffix } from './slug.js';
import { timelineJob } from '../feed/timeline-jobs.js';

/** Cache tag of everything derived from the set of articles (lists, tags). */
export const ARTICLES_TAG = 'articles';
const SLUG_ATTEMPTS = 5;

/** A slug that could exist; anything else is "not found" without a query (Postgres rejects NUL). */
const plausibleSlug = (slug: string): boolean => slug.length <= 255 && !hasControlCharacters(slug);

/**
 * Articles, favorites and tags. Writes commit to Postgres first, then (only when a row really
 * changed) update Redis: the article's cached object and response are deleted, list and tag caches
 * are orphaned by bumping the `articles` tag, favoriter sets and author counts move by deltas.
 */
@Injectable()
export class ArticlesService implements OnModuleInit {
  private readonly lastTotals = new WeakMap<
    EntityManager,
    { key: string; totals: Promise<Map<number, AuthorTotals>> }
  >();

  constructor(
    private readonly articles: ArticlesRepository,
    private readonly presenter: ArticlePresenter,
    private readonly profiles: UserDirectory,
    private readonly favorites: FavoritesStore,
    private readonly counters: UserCountersService,
    private readonly locks: AdvisoryLocks,
    private readonly outbox: OutboxService,
    private readonly keys: RedisKeys,
    private readonly feed: FeedService,
  ) {}

  onModuleInit(): void {
    for (const metric of ['articles', 'likes', 'views'] as const) {
      this.counters.register(
        metric,
        async (id, manager) => (await this.totalsOnce([id], manager)).get(id)?.[metric] ?? 0,
        async (ids, manager) => {
          const totals = await this.totalsOnce(ids, manager);
          return new Map([...totals].map(([id, t]) => [id, t[metric]]));
        },
      );
    }
  }

  /**
   * The three article metrics come from one GROUP BY. A hash fill or a reconciliation batch asks
   * for them one metric at a time on one lock-holding connection, so the query result is kept
   * for that connection (and the same users) instead of running the query three times.
   */
  private totalsOnce(ids: number[], manager: EntityManager): Promise<Map<number, AuthorTotals>> {
    const key = ids.join(',');
    const last = this.lastTotals.get(manager);
    if (last?.key === key) return last.totals;
    const totals = this.articles.authorTotalsMany(ids, manager);
    this.lastTotals.set(manager, { key, totals });
    return totals;
  }

  /** The viewer-independent article behind a slug (what GET /articles/:slug caches). */
  async shared(slug: string): Promise<SharedArticle> {
    if (!plausibleSlug(slug)) throw new ArticleNotFoundError();
    const [article] = await this.articles.findShared({ slug });
    if (!article) throw new ArticleNotFoundError();
    return article;
  }

  async listIds(query: ListArticlesQuery): Promise<ArticleIdPage> {
    const filter: ArticleFilter = { tag: query.tag };
    for (const [field, name] of [
      ['authorId', query.author],
      ['favoritedBy', query.favorited],
    ] as const) {
      if (name === undefined) continue;
      const id = await this.profiles.findIdByUsername(name);
      if (id === null) return { ids: [], articlesCount: 0 };
      filter[field] = id;
    }
    return this.articles.listIds(filter, query.limit ?? 20, query.offset ?? 0);
  }

  /** The feed's ids and exact count: from the timelines, or Postgres when they cannot answer. */
  feedIds(viewerId: number, limit = 20, offset = 0): Promise<ArticleIdPage> {
    return this.feed.page(viewerId, limit, offset);
  }

  allTags(): Promise<string[]> {
    return this.articles.allTags();
  }

  async create(authorId: number, input: NewArticle): Promise<ArticleView> {
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
                cacheKeys: this.cachedKeysOf(newId, slug),
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

  async update(viewerId: number, slug: string, input: UpdateArticle): Promise<ArticleView> {
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
            return {
              result: candidate,
              effects: this.staleAfterWrite(ref.id, ref.slug, candidate),
            };
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
                ...this.staleAfterArticleCountChange(ref),
                jobs: [
                  timelineJob('article-deleted', { articleId: ref.id, authorId: ref.authorId }),
                ],
              }
            : null,
        };
      }, manager);
      if (!removed) return;
      const [counted, dropped] = await Promise.all([
        this.counters.apply(ref.authorId, {
          articles: -1,
          likes: -removed.favoritesCount,
          views: -removed.viewsCount,
        }),
        this.favorites.drop(ref.id).then(
          () => true,
          () => false,
        ),
      ]);
      await this.outbox.complete(recorded, counted && dropped);
    });
  }

  async setFavorite(viewerId: number, slug: string, favorite: boolean): Promise<ArticleView> {
    const ref = await this.requireRef(slug);
    await this.locks.run(
      [
        { key: `favorite:${viewerId}:${ref.id}`, mode: 'exclusive' },
        this.counters.writerLock(ref.authorId),
      ],
      async (manager) => {
        const { recorded } = await this.outbox.transaction(async (tx) => {
          const changed = favorite
            ? await this.articles.addFavorite(tx, viewerId, ref.id)
            : await this.articles.removeFavorite(tx, viewerId, ref.id);
          // A repeated favorite or unfavorite moves nothing and records nothing.
          return {
            result: changed,
            effects: changed ? this.staleAfterArticleCountChange(ref) : null,
          };
        }, manager);
        if (!recorded) return;
        const [member, counted] = await Promise.all([
          // A failure is counted and logged by the gateway; the relay drops the set instead.
          this.favorites.apply(ref.id, viewerId, favorite).then(
            () => true,
            () => false,
          ),
          this.counters.apply(ref.authorId, { likes: favorite ? 1 : -1 }),
        ]);
        await this.outbox.complete(recorded, member && counted);
      },
    );
    return this.viewById(ref.id, viewerId);
  }

  /** The article as `viewerId` sees it right after a write (read from Postgres, not the cache). */
  private async viewById(articleId: number, viewerId: number): Promise<ArticleView> {
    const [shared] = await this.articles.findShared({ ids: [articleId] });
    if (!shared) throw new ArticleNotFoundError();
    const [view] = await this.presenter.present([shared], viewerId, true);
    return view;
  }

  async requireRef(slug: string): Promise<ArticleRef> {
    const ref = plausibleSlug(slug) ? await this.articles.findRef(slug) : null;
    if (!ref) throw new ArticleNotFoundError();
    return ref;
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

  /** The cached summary and the cached response under each slug. */
  private cachedKeysOf(articleId: number, ...slugs: string[]): string[] {
    return [
      this.keys.articleSummary(articleId),
      ...[...new Set(slugs)].map((slug) => cachedResponseKey(this.keys, 'article', slug)),
    ];
  }

  /**
   * A delete or a (un)favorite: also the favoriter set (the relay drops it) and the author's
   * counts (the relay recounts them).
   */
  private staleAfterArticleCountChange(ref: ArticleRef): Partial<WriteEffects> {
    return {
      ...this.staleAfterWrite(ref.id, ref.slug),
      derivedKeys: [this.keys.articleFavoriters(ref.id)],
      recountUsers: [ref.authorId],
    };
  }

  /** What a write makes stale: the object, the response under each slug, lists and tags. */
  private staleAfterWrite(articleId: number, ...slugs: string[]): Partial<WriteEffects> {
    return { cacheKeys: this.cachedKeysOf(articleId, ...slugs), tags: [ARTICLES_TAG] };
  }
}
