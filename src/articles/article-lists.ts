import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { CacheTagsService } from '../cache/cache-tags.service.js';
import type { CachePolicy } from '../cache/cache-policy.js';
import { RedisKeys } from '../redis/keys.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { ARTICLES_TAG, type ArticleFilter, type ArticleIdPage } from './article.model.js';
import { ArticlesRepository } from './articles.repository.js';
import type { ListArticlesQuery } from './dto/article-requests.dto.js';

const NO_ARTICLES: ArticleIdPage = { ids: [], articlesCount: 0 };

/**
 * GET /articles' pages of ids (the articles themselves come from ArticleCache). A page is cached
 * for 60 s under the `articles` tag's generation, which every article write bumps: ids and totals
 * never outlive a write, and an edit shows in every list at once through the object cache.
 */
@Injectable()
export class ArticleLists {
  private readonly policy: CachePolicy;

  constructor(
    private readonly cache: CacheAsideService,
    private readonly tags: CacheTagsService,
    private readonly keys: RedisKeys,
    private readonly articles: ArticlesRepository,
    private readonly profiles: UserDirectory,
  ) {
    this.policy = cache.policy('article-list', { ttlSeconds: 60 });
  }

  async page(query: ListArticlesQuery): Promise<ArticleIdPage> {
    const generation = await this.tags.versionOf([ARTICLES_TAG]);
    // Redis cannot tell the generation: no entry can be trusted, Postgres answers.
    if (generation === null) return this.load(query);
    const filters = JSON.stringify(
      [query.tag, query.author, query.favorited, query.limit, query.offset].map((v) => v ?? null),
    );
    const page = await this.cache.get(
      this.keys.articleListPage(generation, filters),
      () => this.load(query),
      this.policy,
    );
    return page ?? NO_ARTICLES; // never stored as null: the loader always answers a page
  }

  private async load(query: ListArticlesQuery): Promise<ArticleIdPage> {
    const filter: ArticleFilter = { tag: query.tag };
    for (const [field, name] of [
      ['authorId', query.author],
      ['favoritedBy', query.favorited],
    ] as const) {
      if (name === undefined) continue;
      const id = await this.profiles.findIdByUsername(name);
      if (id === null) return NO_ARTICLES;
      filter[field] = id;
    }
    return this.articles.listIds(filter, query.limit ?? 20, query.offset ?? 0);
  }
}
