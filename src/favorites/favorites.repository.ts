import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isForeignKeyViolation } from '../common/domain-error.js';
import { ArticleNotFoundError } from '../articles/articles.errors.js';

/** The only place that speaks SQL about favorites (the table and the articles' counts). */
@Injectable()
export class FavoritesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Adds the favorite and bumps the article's count in one statement (atomic by itself: no
   * savepoint inside the caller's transaction, two round trips fewer); false if it existed.
   */
  async add(manager: EntityManager, userId: number, articleId: number): Promise<boolean> {
    try {
      return await this.changeWithCount(
        manager,
        `INSERT INTO favorites (user_id, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
        '+',
        userId,
        articleId,
      );
    } catch (error) {
      // The article was deleted by a concurrent request: a 404, not a 500.
      throw isForeignKeyViolation(error) ? new ArticleNotFoundError() : error;
    }
  }

  /** Removes the favorite and lowers the article's count in one statement; false if absent. */
  remove(manager: EntityManager, userId: number, articleId: number): Promise<boolean> {
    return this.changeWithCount(
      manager,
      `DELETE FROM favorites WHERE user_id = $1 AND article_id = $2 RETURNING 1`,
      '-',
      userId,
      articleId,
    );
  }

  /**
   * Runs `change` (a favorites row written, RETURNING 1 when it changed something) and moves the
   * article's count by one only then, as one statement. The FK check of an insert locks the
   * article row, so a changed favorite always finds its article to count.
   */
  private async changeWithCount(
    manager: EntityManager,
    change: string,
    sign: '+' | '-',
    userId: number,
    articleId: number,
  ): Promise<boolean> {
    const rows: { changed: boolean }[] = await manager.query(
      `WITH change AS (${change}),
            counted AS (
              UPDATE articles SET favorites_count = favorites_count ${sign} 1
               WHERE id = $2 AND EXISTS (SELECT 1 FROM change) RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM change) AS changed`,
      [userId, articleId],
    );
    return rows[0].changed;
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
