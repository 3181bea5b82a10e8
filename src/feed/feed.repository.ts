import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryIdPage } from '../articles/article-id-page.js';
import type { ArticleIdPage } from '../articles/article.model.js';

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

/** The feed's SQL: its Postgres pages and what timelines are built and checked from. */
@Injectable()
export class FeedRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Articles by the authors the viewer follows, newest first. */
  feedIds(viewerId: number, limit: number, offset: number): Promise<ArticleIdPage> {
    return queryIdPage(
      this.db,
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

  /**
   * A follow job's read in one statement: whether the follow exists now, and the followee's
   * newest `limit` entries (newest first) either way.
   */
  async followeeEntries(
    followerId: number,
    followeeId: number,
    limit: number,
  ): Promise<{ following: boolean; entries: TimelineEntry[] }> {
    const rows: (Partial<EntryRow> & { following: boolean })[] = await this.db.query(
      `SELECT f.following, a.id, a.created_ms
       FROM (SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2)
               AS following) f
       LEFT JOIN LATERAL (
         SELECT a.id, a.created_at, ${CREATED_MS} FROM articles a
         WHERE a.author_id = $2 ORDER BY a.created_at DESC, a.id DESC LIMIT $3) a ON true
       ORDER BY a.created_at DESC, a.id DESC`,
      [followerId, followeeId, limit],
    );
    return {
      following: rows[0]?.following ?? false,
      entries: rows.flatMap((row) =>
        row.id === undefined || row.id === null ? [] : [toEntry(row as EntryRow)],
      ),
    };
  }

  /**
   * A follow job's check after its write, in one statement: whether the follow still exists, and
   * which of these articles still exist.
   */
  async followStillThere(
    followerId: number,
    followeeId: number,
    articleIds: number[],
  ): Promise<{ following: boolean; existing: Set<number> }> {
    const [row]: { following: boolean; existing: number[] }[] = await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2)
                AS following,
              ARRAY(SELECT id FROM articles WHERE id = ANY($3::int[])) AS existing`,
      [followerId, followeeId, articleIds],
    );
    return { following: row.following, existing: new Set(row.existing) };
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
}
