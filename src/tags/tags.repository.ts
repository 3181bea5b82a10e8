import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@Injectable()
export class TagsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The 500 most used tags, most used first. */
  async popular(): Promise<string[]> {
    const rows: { tag: string }[] = await this.db.query(
      `SELECT tag FROM article_tags GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 500`,
    );
    return rows.map((row) => row.tag);
  }
}
