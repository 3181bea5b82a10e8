import type { DataSource } from 'typeorm';
import type { ArticleIdPage } from './article.model.js';

/**
 * One page of article ids in list order (newest first, ties by id descending) and the exact
 * total, for a `FROM articles a ...` clause with its parameters. Shared by the article lists and
 * the feed's Postgres fallback, so both page and count alike.
 */
export async function queryIdPage(
  db: DataSource,
  from: string,
  params: unknown[],
  limit: number,
  offset: number,
): Promise<ArticleIdPage> {
  const [rows, total] = await Promise.all([
    db.query<{ id: number }[]>(
      `SELECT a.id ${from} ORDER BY a.created_at DESC, a.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    ),
    db.query<{ n: number }[]>(`SELECT count(*)::int AS n ${from}`, params),
  ]);
  return { ids: rows.map((row) => row.id), articlesCount: total[0].n };
}
