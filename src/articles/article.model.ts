/**
 * What the articles' repositories and services return: plain types, no HTTP or validation concern
 * (the DTOs in dto/ describe requests and responses; controllers and the presenter map to them).
 */

/**
 * An article as cached for every viewer (`article:{id}:full`): what GET /articles/:slug shows
 * before the viewer's flags and pending views are added. List items show it without the body.
 */
export interface SharedArticle {
  id: number;
  slug: string;
  title: string;
  description: string;
  tagList: string[];
  createdAt: string;
  updatedAt: string;
  authorId: number;
  favoritesCount: number;
  /** Views flushed to Postgres when this entry was built; pending views are added per request. */
  viewsCount: number;
  body: string;
}

/** One page of a list as cached: ids only; the articles come from the article cache. */
export interface ArticleIdPage {
  ids: number[];
  articlesCount: number;
}

/** What a write needs to know about the article behind a slug. */
export interface ArticleRef {
  id: number;
  slug: string;
  authorId: number;
}

/** The filters of GET /articles, with user names already resolved to ids. */
export interface ArticleFilter {
  tag?: string;
  authorId?: number;
  favoritedBy?: number;
}

/** An author's per-user metrics that come from their articles. */
export interface AuthorTotals {
  articles: number;
  likes: number;
  views: number;
}

/** Cache tag of everything derived from the set of articles (list pages, the tag list). */
export const ARTICLES_TAG = 'articles';
