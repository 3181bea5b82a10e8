import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isForeignKeyViolation } from '../common/domain-error.js';
import { ArticleNotFoundError } from '../articles/articles.errors.js';
import { withOutboxRow } from '../outbox/outbox-sql.js';
import type { WriteEffects } from '../outbox/write-effects.js';

/** The only place that speaks SQL about favorites (the table and the articles' counts). */
@Injectable()
export class FavoritesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Adds the favorite, bumps the article's count and records the outbox row `effects`, all in one
   * statement (atomic by itself: no BEGIN/COMMIT, one round trip). Returns the outbox row's id,
   * or null when the favorite existed (nothing changed, nothing recorded).
   */
  async add(
    manager: EntityManager,
    userId: number,
    articleId: number,
    effects: WriteEffects,
  ): Promise<string | null> {
    try {
      return await this.changeWithCount(
        manager,
        `INSERT INTO favorites (user_id, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
        '+',
        [userId, articleId],
        effects,
      );
    } catch (error) {
      // The article was deleted by a concurrent request: a 404, not a 500.
      throw isForeignKeyViolation(error) ? new ArticleNotFoundError() : error;
    }
  }

  /** Removes the favorite as `add` adds one (count and outbox row in the same statement). */
  remove(
    manager: EntityManager,
    userId: number,
    articleId: number,
    effects: WriteEffects,
  ): Promise<string | null> {
    return this.changeWithCount(
      manager,
      `DELETE FROM favorites WHERE user_id = $1 AND article_id = $2 RETURNING 1`,
      '-',
      [userId, articleId],
      effects,
    );
  }

  /**
   * Runs `change` (a favorites row written, RETURNING a row when it changed something) and, only
   * then, moves the article's count by one and records the outbox row. The FK check of an insert
   * locks the article row, so a changed favorite always finds its article to count.
   */
  private async changeWithCount(
    manager: EntityManager,
    change: string,
    sign: '+' | '-',
    [userId, articleId]: [number, number],
    effects: WriteEffects,
  ): Promise<string | null> {
    const { sql, params } = withOutboxRow(change, [userId, articleId], effects, [
      `counted AS (
         UPDATE articles SET favorites_count = favorites_count ${sign} 1
          WHERE id = $2 AND EXISTS (SELECT 1 FROM change) RETURNING 1)`,
    ]);
    const rows: { outbox_id: string }[] = await manager.query(sql, params);
    return rows.length ? String(rows[0].outbox_id) : null;
  }

  async favoritedAmong(userId: number, articleIds: number[]): Promise<Set<number>> {
    if (articleIds.length === 0) return new Set();
    const rows: { id: number }[] = await this.db.query(
      `SELECT article_id AS id FROM favorites WHERE user_id = $1 AND article_id = ANY($2::int[])`,
      [userId, articleIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Every article the user favorited, or null when that is more than `max` articles. */
  async favoritedIdsUpTo(userId: number, max: number): Promise<number[] | null> {
    const rows: { id: number }[] = await this.db.query(
      `SELECT article_id AS id FROM favorites WHERE user_id = $1 LIMIT $2`,
      [userId, max + 1],
    );
    return rows.length > max ? null : rows.map((row) => row.id);
  }

  /** Every article the user favorited, in id order and chunks (for rebuilding their Redis set). */
  async *favoritedIds(userId: number, chunk = 5000): AsyncGenerator<number[]> {
    let lastId = 0;
    for (;;) {
      const rows: { id: number }[] = await this.db.query(
        `SELECT article_id AS id FROM favorites WHERE user_id = $1 AND article_id > $2 ORDER BY article_id LIMIT $3`,
        [userId, lastId, chunk],
      );
      if (rows.length === 0) return;
      yield rows.map((row) => row.id);
      lastId = rows[rows.length - 1].id;
      if (rows.length < chunk) return;
    }
  }
}
