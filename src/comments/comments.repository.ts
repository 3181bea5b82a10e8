import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isForeignKeyViolation } from '../common/domain-error.js';
import { ArticleNotFoundError } from '../articles/articles.errors.js';

export interface CommentRow {
  id: number;
  articleId: number;
  authorId: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

type Row = {
  id: number;
  article_id: number;
  author_id: number;
  body: string;
  created_at: Date;
  updated_at: Date;
};
const toComment = (row: Row): CommentRow => ({
  id: row.id,
  articleId: row.article_id,
  authorId: row.author_id,
  body: row.body,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

@Injectable()
export class CommentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(articleId: number, authorId: number, body: string): Promise<CommentRow> {
    try {
      const rows: Row[] = await this.db.query(
        `INSERT INTO comments (article_id, author_id, body) VALUES ($1, $2, $3) RETURNING *`,
        [articleId, authorId, body],
      );
      return toComment(rows[0]);
    } catch (error) {
      // The article was deleted between our lookup and this insert.
      throw isForeignKeyViolation(error) ? new ArticleNotFoundError() : error;
    }
  }

  async listForArticle(articleId: number): Promise<CommentRow[]> {
    const rows: Row[] = await this.db.query(
      `SELECT * FROM comments WHERE article_id = $1 ORDER BY id DESC LIMIT 1000`,
      [articleId],
    );
    return rows.map(toComment);
  }

  async find(articleId: number, commentId: number): Promise<CommentRow | null> {
    const rows: Row[] = await this.db.query(
      `SELECT * FROM comments WHERE id = $1 AND article_id = $2`,
      [commentId, articleId],
    );
    return rows.length ? toComment(rows[0]) : null;
  }

  async delete(commentId: number): Promise<void> {
    await this.db.query(`DELETE FROM comments WHERE id = $1`, [commentId]);
  }
}
