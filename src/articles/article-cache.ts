import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { CachePolicy } from '../cache/cache-policy.js';
import { RedisKeys } from '../redis/keys.js';
import type { SharedArticle } from './article.model.js';
import { ArticlesRepository } from './articles.repository.js';

/**
 * The one object cache of articles: `article:{id}:full` holds the viewer-independent article (with its
 * body; lists leave the body out of their responses), and `article:slug:<slug>` maps a slug to
 * its id (a negative entry for a slug no article has). Both go through CacheAsideService (local
 * tier, single-flight, fill leases, negative entries, Postgres when Redis fails). Writes evict
 * through the outbox (articleCacheKeys names what they evict); the views flush patches the
 * object in place.
 */
@Injectable()
export class ArticleCache {
  private readonly articlePolicy: CachePolicy;
  private readonly slugPolicy: CachePolicy;

  constructor(
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
    private readonly articles: ArticlesRepository,
  ) {
    this.articlePolicy = cache.policy('article');
    this.slugPolicy = cache.policy('article-slug');
  }

  /** The id of the article with this slug, or null when none has it (remembered as negative). */
  async idBySlug(slug: string): Promise<number | null> {
    return this.cache.get(
      this.keys.articleIdBySlug(slug),
      async () => (await this.articles.findRef(slug))?.id ?? null,
      this.slugPolicy,
    );
  }

  /** The article, or null when it does not exist (any more). */
  async byId(id: number): Promise<SharedArticle | null> {
    return this.cache.get(
      this.keys.article(id),
      async () => (await this.articles.findShared([id]))[0] ?? null,
      this.articlePolicy,
    );
  }

  /** The articles of a page, in the page's order, leaving out those deleted meanwhile. */
  async byIds(ids: number[]): Promise<SharedArticle[]> {
    const found = await this.cache.getMany(
      ids,
      (id) => this.keys.article(id),
      async (missing) => new Map((await this.articles.findShared(missing)).map((a) => [a.id, a])),
      this.articlePolicy,
    );
    return ids.map((id) => found.get(id)).filter((article): article is SharedArticle => !!article);
  }
}
