import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/** A flushed delta that reached an article still there. */
export interface FlushedViews {
  id: number;
  authorId: number;
  delta: number;
}

/** The SQL of the views flush. */
@Injectable()
export class ViewsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Adds flushed view deltas; returns the articles that still exist with their author. */
  async addViews(manager: EntityManager, ids: number[], deltas: number[]): Promise<FlushedViews[]> {
    const rows: { id: number; author_id: number; delta: string }[] = await manager.query(
      `UPDATE articles a SET views_count = a.views_count + v.delta
       FROM unnest($1::int[], $2::bigint[]) AS v(id, delta)
       WHERE a.id = v.id
       RETURNING a.id, a.author_id, v.delta`,
      [ids, deltas],
    );
    const list = Array.isArray(rows[0]) ? (rows[0] as unknown as typeof rows) : rows;
    return list.map((row) => ({
      id: row.id,
      authorId: row.author_id,
      delta: Number(row.delta),
    }));
  }

  /** The authors of these articles (their count locks are taken before the flush). */
  async authorsOf(articleIds: number[]): Promise<number[]> {
    const rows: { author_id: number }[] = await this.db.query(
      `SELECT DISTINCT author_id FROM articles WHERE id = ANY($1::int[])`,
      [articleIds],
    );
    return rows.map((row) => row.author_id);
  }
}
