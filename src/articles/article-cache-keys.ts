import type { RedisKeys } from '../redis/keys.js';

/**
 * What a write to one article makes stale in the article cache (ArticleCache): the article object
 * and, for a create, a rename or a delete, the slug mappings it adds or removes (a slug mapping
 * never changes otherwise). Every writer (articles, favorites, the views flush) names them here.
 */
export function articleCacheKeys(keys: RedisKeys, articleId: number, ...slugs: string[]): string[] {
  return [
    keys.article(articleId),
    ...[...new Set(slugs)].map((slug) => keys.articleIdBySlug(slug)),
  ];
}
