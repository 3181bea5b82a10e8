import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** The SQL reconciliation owns: walking the users table in id order. */
@Injectable()
export class ReconciliationRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The next page of user ids after `lastId` (keyset pagination on the primary key). */
  async userIdsAfter(lastId: number, limit: number): Promise<number[]> {
    const rows: { id: number }[] = await this.db.query(
      `SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2`,
      [lastId, limit],
    );
    return rows.map((row) => row.id);
  }

  /** The highest user id (progress reporting); 0 without users. */
  async maxUserId(): Promise<number> {
    const rows: { id: number | null }[] = await this.db.query(`SELECT max(id) AS id FROM users`);
    return rows[0].id ?? 0;
  }
}
