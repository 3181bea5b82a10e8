import { cachedResponseKey } from '../cache/cached.interceptor.js';
import type { RedisKeys } from '../redis/keys.js';

/**
 * The cached copies of one article a write makes stale: its object and its response under each
 * slug. Every writer (articles, favorites, the views flush) names them through this function.
 */
export function articleCacheKeys(keys: RedisKeys, articleId: number, ...slugs: string[]): string[] {
  return [
    keys.articleSummary(articleId),
    ...[...new Set(slugs)].map((slug) => cachedResponseKey(keys, 'article', slug)),
  ];
}
