import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { isForeignKeyViolation } from '../common/domain-error.js';
import { ArticleNotFoundError } from './articles.errors.js';
import type { ArticleIdPage, ArticleSummary, SharedArticle } from './dto/article.dto.js';

export interface ArticleRef {
  id: number;
  slug: string;
  authorId: number;
}

export interface ArticleFilter {
  tag?: string;
  authorId?: number;
  favoritedBy?: number;
}

type SummaryRow = {
  id: number;
  slug: string;
  title: string;
  description: string;
  author_id: number;
  favorites_count: number;
  views_count: string;
  created_at: Date;
  updated_at: Date;
  tag_list: string[];
};
type SharedRow = SummaryRow & { body: string };

/** The article's columns and tags; with the body (one article) or without (list summaries). */
const selectArticles = (withBody: boolean) => `
  SELECT a.id, a.slug, a.title, a.description,${withBody ? ' a.body,' : ''} a.author_id,
         a.favorites_count, a.views_count, a.created_at, a.updated_at,
         COALESCE(array_agg(t.tag ORDER BY t.tag) FILTER (WHERE t.tag IS NOT NULL), '{}') AS tag_list
  FROM articles a LEFT JOIN article_tags t ON t.article_id = a.id`;
const SHARED_SELECT = selectArticles(true);
const SUMMARY_SELECT = selectArticles(false);

const toSummary = (row: SummaryRow): ArticleSummary => ({
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
});

// Key order as the summary's, then the body: the cached JSON reads like the response.
const toShared = (row: SharedRow): SharedArticle => ({ ...toSummary(row), body: row.body });

/** An article as a timeline holds it: id and creation time in ms (the zset score). */
export interface TimelineEntry {
  id: number;
  createdAtMs: number;
}

type EntryRow = { id: number; created_ms: string };
/** Creation time in ms: exact, since created_at is stored truncated to milliseconds. */
const CREATED_MS = `(extract(epoch FROM a.created_at) * 1000)::bigint AS created_ms`;
const toEntry = (row: EntryRow): TimelineEntry => ({
  id: row.id,
  createdAtMs: Number(row.created_ms),
});

export class SlugTakenError extends Error {}

/** The only place that speaks SQL about articles, tags and favorites. */
@Injectable()
export class ArticlesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findShared(by: { slug: string } | { ids: number[] }): Promise<SharedArticle[]> {
    const [where, param] =
      'slug' in by ? ['a.slug = $1', by.slug] : ['a.id = ANY($1::int[])', by.ids];
    const rows: SharedRow[] = await this.db.query(`${SHARED_SELECT} WHERE ${where} GROUP BY a.id`, [
      param,
    ]);
    return rows.map(toShared);
  }

  /** Articles without their bodies, for list pages. */
  async findSummaries(ids: number[]): Promise<ArticleSummary[]> {
    const rows: SummaryRow[] = await this.db.query(
      `${SUMMARY_SELECT} WHERE a.id = ANY($1::int[]) GROUP BY a.id`,
      [ids],
    );
    return rows.map(toSummary);
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
    return this.page(`FROM articles a ${where}`, params, limit, offset);
  }

  /** Articles by the authors the viewer follows, newest first. */
  feedIds(viewerId: number, limit: number, offset: number): Promise<ArticleIdPage> {
    return this.page(
      `FROM articles a JOIN follows f ON f.followee_id = a.author_id WHERE f.follower_id = $1`,
      [viewerId],
      limit,
      offset,
    );
  }

  /**
   * The feed's newest `limit` entries (id and creation time), in the feed's order, leaving out
   * the authors in `exceptAuthors` (those merged at read time).
   */
  async feedEntries(
    viewerId: number,
    limit: number,
    exceptAuthors: number[] = [],
  ): Promise<TimelineEntry[]> {
    const rows: EntryRow[] = await this.db.query(
      `SELECT a.id, ${CREATED_MS} FROM articles a JOIN follows f ON f.followee_id = a.author_id
       WHERE f.follower_id = $1 AND f.followee_id <> ALL($3::int[])
       ORDER BY a.created_at DESC, a.id DESC LIMIT $2`,
      [viewerId, limit, exceptAuthors],
    );
    return rows.map(toEntry);
  }

  /** The author's newest `limit` articles (id and creation time), newest first. */
  async authorEntries(authorId: number, limit: number): Promise<TimelineEntry[]> {
    const rows: EntryRow[] = await this.db.query(
      `SELECT a.id, ${CREATED_MS} FROM articles a
       WHERE a.author_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2`,
      [authorId, limit],
    );
    return rows.map(toEntry);
  }

  /** The article's author and creation time, or null when it does not exist (any more). */
  async entryOf(articleId: number): Promise<(TimelineEntry & { authorId: number }) | null> {
    const rows: (EntryRow & { author_id: number })[] = await this.db.query(
      `SELECT a.id, a.author_id, ${CREATED_MS} FROM articles a WHERE a.id = $1`,
      [articleId],
    );
    return rows.length ? { ...toEntry(rows[0]), authorId: rows[0].author_id } : null;
  }

  /** Which of these articles still exist. */
  async existingIds(ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows: { id: number }[] = await this.db.query(
      `SELECT id FROM articles WHERE id = ANY($1::int[])`,
      [ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  private async page(
    from: string,
    params: unknown[],
    limit: number,
    offset: number,
  ): Promise<ArticleIdPage> {
    const [rows, total] = await Promise.all([
      this.db.query<{ id: number }[]>(
        `SELECT a.id ${from} ORDER BY a.created_at DESC, a.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      ),
      this.db.query<{ n: number }[]>(`SELECT count(*)::int AS n ${from}`, params),
    ]);
    return { ids: rows.map((row) => row.id), articlesCount: total[0].n };
  }

  /** Adds the favorite and bumps the article's count in one transaction; false if it existed. */
  async addFavorite(manager: EntityManager, userId: number, articleId: number): Promise<boolean> {
    return this.orNotFound(
      manager.transaction(async (tx) => {
        const inserted: unknown[] = await tx.query(
          `INSERT INTO favorites (user_id, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
          [userId, articleId],
        );
        if (inserted.length === 0) return false;
        await tx.query(`UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = $1`, [
          articleId,
        ]);
        return true;
      }),
    );
  }

  /** The article was deleted by a concurrent request: a 404, not a 500. */
  private async orNotFound<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      throw isForeignKeyViolation(error) ? new ArticleNotFoundError() : error;
    }
  }

  async removeFavorite(
    manager: EntityManager,
    userId: number,
    articleId: number,
  ): Promise<boolean> {
    return manager.transaction(async (tx) => {
      const [, deleted] = await tx.query<[unknown[], number]>(
        `DELETE FROM favorites WHERE user_id = $1 AND article_id = $2`,
        [userId, articleId],
      );
      if (deleted === 0) return false;
      await tx.query(`UPDATE articles SET favorites_count = favorites_count - 1 WHERE id = $1`, [
        articleId,
      ]);
      return true;
    });
  }

  async favoritedAmong(userId: number, articleIds: number[]): Promise<Set<number>> {
    if (articleIds.length === 0) return new Set();
    const rows: { id: number }[] = await this.db.query(
      `SELECT article_id AS id FROM favorites WHERE user_id = $1 AND article_id = ANY($2::int[])`,
      [userId, articleIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Everyone who favorited the article, in id order and chunks (for rebuilding its Redis set). */
  async *favoriterIds(articleId: number, chunk = 5000): AsyncGenerator<number[]> {
    let lastId = 0;
    for (;;) {
      const rows: { id: number }[] = await this.db.query(
        `SELECT user_id AS id FROM favorites WHERE article_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3`,
        [articleId, lastId, chunk],
      );
      if (rows.length === 0) return;
      yield rows.map((row) => row.id);
      lastId = rows[rows.length - 1].id;
      if (rows.length < chunk) return;
    }
  }

  async allTags(): Promise<string[]> {
    const rows: { tag: string }[] = await this.db.query(
      `SELECT tag FROM article_tags GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 500`,
    );
    return rows.map((row) => row.tag);
  }

  /** Adds flushed view deltas; returns the articles that still exist with their author. */
  async addViews(
    manager: EntityManager,
    ids: number[],
    deltas: number[],
  ): Promise<{ id: number; slug: string; authorId: number; delta: number }[]> {
    const rows: { id: number; slug: string; author_id: number; delta: string }[] =
      await manager.query(
        `UPDATE articles a SET views_count = a.views_count + v.delta
       FROM unnest($1::int[], $2::bigint[]) AS v(id, delta)
       WHERE a.id = v.id
       RETURNING a.id, a.slug, a.author_id, v.delta`,
        [ids, deltas],
      );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as typeof rows) : rows;
    return list.map((row) => ({
      id: row.id,
      slug: row.slug,
      authorId: row.author_id,
      delta: Number(row.delta),
    }));
  }

  async authorsOf(articleIds: number[]): Promise<number[]> {
    const rows: { author_id: number }[] = await this.db.query(
      `SELECT DISTINCT author_id FROM articles WHERE id = ANY($1::int[])`,
      [articleIds],
    );
    return rows.map((row) => row.author_id);
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

export interface AuthorTotals {
  articles: number;
  likes: number;
  views: number;
}

function isSlugClash(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  return code === '23505' && constraint === 'articles_slug_key';
}
