import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { uniqueViolationOf } from '../database/unique-violation.js';
import { queryIdPage } from './article-id-page.js';
import type {
  ArticleFilter,
  ArticleIdPage,
  ArticleRef,
  AuthorTotals,
  SharedArticle,
} from './article.model.js';

type SharedRow = {
  id: number;
  slug: string;
  title: string;
  description: string;
  body: string;
  author_id: number;
  favorites_count: number;
  views_count: string;
  created_at: Date;
  updated_at: Date;
  tag_list: string[];
};

/** The article's columns and tags. */
const SHARED_SELECT = `
  SELECT a.id, a.slug, a.title, a.description, a.body, a.author_id,
         a.favorites_count, a.views_count, a.created_at, a.updated_at,
         COALESCE(array_agg(t.tag ORDER BY t.tag) FILTER (WHERE t.tag IS NOT NULL), '{}') AS tag_list
  FROM articles a LEFT JOIN article_tags t ON t.article_id = a.id`;

// Key order as the response's, the body last: the cached JSON reads like the response.
const toShared = (row: SharedRow): SharedArticle => ({
  id: row.id,
  slug: row.slug,
  title: row.title,
  description: row.description,
  tagList: row.tag_list,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  authorId: row.author_id,
  favoritesCount: row.favorites_count,
  viewsCount: Number(row.views_count),
  body: row.body,
});

export class SlugTakenError extends Error {}

/** The only place that speaks SQL about articles and their tags (favorites, views, the feed and
 * the tag list have their own repositories). */
@Injectable()
export class ArticlesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findShared(ids: number[]): Promise<SharedArticle[]> {
    const rows: SharedRow[] = await this.db.query(
      `${SHARED_SELECT} WHERE a.id = ANY($1::int[]) GROUP BY a.id`,
      [ids],
    );
    return rows.map(toShared);
  }

  async findRef(slug: string): Promise<ArticleRef | null> {
    const rows: { id: number; slug: string; author_id: number }[] = await this.db.query(
      `SELECT id, slug, author_id FROM articles WHERE slug = $1`,
      [slug],
    );
    return rows.length ? { id: rows[0].id, slug: rows[0].slug, authorId: rows[0].author_id } : null;
  }

  /** Inserts the article; throws SlugTakenError when the slug exists (caller retries). */
  async insert(
    manager: EntityManager,
    article: { slug: string; title: string; description: string; body: string; authorId: number },
  ): Promise<number> {
    try {
      const rows: { id: number }[] = await manager.query(
        `INSERT INTO articles (slug, title, description, body, author_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [article.slug, article.title, article.description, article.body, article.authorId],
      );
      return rows[0].id;
    } catch (error) {
      throw isSlugClash(error) ? new SlugTakenError() : error;
    }
  }

  async update(
    manager: EntityManager,
    id: number,
    changes: { slug?: string; title?: string; description?: string; body?: string },
  ): Promise<void> {
    const columns = Object.entries(changes).filter(([, value]) => value !== undefined);
    const sets = columns.map(([column], i) => `"${column}" = $${i + 2}`);
    sets.push(`updated_at = date_trunc('milliseconds', clock_timestamp())`);
    try {
      await manager.query(`UPDATE articles SET ${sets.join(', ')} WHERE id = $1`, [
        id,
        ...columns.map(([, value]) => value),
      ]);
    } catch (error) {
      throw isSlugClash(error) ? new SlugTakenError() : error;
    }
  }

  async replaceTags(manager: EntityManager, articleId: number, tags: string[]): Promise<void> {
    await manager.query(`DELETE FROM article_tags WHERE article_id = $1`, [articleId]);
    if (tags.length) {
      await manager.query(
        `INSERT INTO article_tags (article_id, tag) SELECT $1, unnest($2::varchar[]) ON CONFLICT DO NOTHING`,
        [articleId, [...new Set(tags)]],
      );
    }
  }

  /** Deletes the article; returns what it contributed to its author's counts, or null. */
  async delete(
    manager: EntityManager,
    id: number,
  ): Promise<{ favoritesCount: number; viewsCount: number } | null> {
    const rows: { favorites_count: number; views_count: string }[] = await manager.query(
      `DELETE FROM articles WHERE id = $1 RETURNING favorites_count, views_count`,
      [id],
    );
    const [deleted] = Array.isArray(rows[0]) ? (rows[0] as typeof rows) : rows;
    return deleted
      ? { favoritesCount: deleted.favorites_count, viewsCount: Number(deleted.views_count) }
      : null;
  }

  async listIds(filter: ArticleFilter, limit: number, offset: number): Promise<ArticleIdPage> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.tag !== undefined) {
      params.push(filter.tag);
      conditions.push(
        `EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag = $${params.length})`,
      );
    }
    if (filter.authorId !== undefined) {
      params.push(filter.authorId);
      conditions.push(`a.author_id = $${params.length}`);
    }
    if (filter.favoritedBy !== undefined) {
      params.push(filter.favoritedBy);
      conditions.push(
        `EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = $${params.length})`,
      );
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    return queryIdPage(this.db, `FROM articles a ${where}`, params, limit, offset);
  }

  /** Per-author aggregates for many authors in one GROUP BY (reconciliation batches). */
  async authorTotalsMany(
    authorIds: number[],
    manager: EntityManager = this.db.manager,
  ): Promise<Map<number, AuthorTotals>> {
    if (authorIds.length === 0) return new Map();
    const rows: { author_id: number; articles: number; likes: string; views: string }[] =
      await manager.query(
        `SELECT author_id, count(*)::int AS articles, sum(favorites_count) AS likes, sum(views_count) AS views
       FROM articles WHERE author_id = ANY($1::int[]) GROUP BY author_id`,
        [authorIds],
      );
    return new Map(
      rows.map((row) => [
        row.author_id,
        { articles: row.articles, likes: Number(row.likes), views: Number(row.views) },
      ]),
    );
  }
}

function isSlugClash(error: unknown): boolean {
  return uniqueViolationOf(error) === 'articles_slug_key';
}
