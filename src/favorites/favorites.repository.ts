import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isForeignKeyViolation } from '../common/domain-error.js';
import { ArticleNotFoundError } from '../articles/articles.errors.js';

/** The only place that speaks SQL about favorites (the table and the articles' counts). */
@Injectable()
export class FavoritesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Adds the favorite and bumps the article's count in one transaction; false if it existed. */
  async add(manager: EntityManager, userId: number, articleId: number): Promise<boolean> {
    try {
      return await manager.transaction(async (tx) => {
        const inserted: unknown[] = await tx.query(
          `INSERT INTO favorites (user_id, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
          [userId, articleId],
        );
        if (inserted.length === 0) return false;
        await tx.query(`UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = $1`, [
          articleId,
        ]);
        return true;
      });
    } catch (error) {
      // The article was deleted by a concurrent request: a 404, not a 500.
      throw isForeignKeyViolation(error) ? new ArticleNotFoundError() : error;
    }
  }

  /** Removes the favorite and lowers the article's count in one transaction; false if absent. */
  async remove(manager: EntityManager, userId: number, articleId: number): Promise<boolean> {
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
}
