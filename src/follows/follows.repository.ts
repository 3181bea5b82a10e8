import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isForeignKeyViolation, NotFoundError } from '../common/domain-error.js';
import { withOutboxRow } from '../outbox/outbox-sql.js';
import type { WriteEffects } from '../outbox/write-effects.js';
import type { PageCursor } from './cursor.js';
import type { FollowDirection, FollowEdge } from './follow-direction.js';

/** Column of the user whose list it is, and of the other side, per direction. */
const SIDES: Record<FollowDirection, { owner: string; other: string }> = {
  following: { owner: 'follower_id', other: 'followee_id' },
  followers: { owner: 'followee_id', other: 'follower_id' },
};

type EdgeRow = { user_id: number; followed_at: string };
const toEdge = (row: EdgeRow): FollowEdge => ({
  userId: row.user_id,
  followedAt: Number(row.followed_at),
});
const FOLLOWED_AT_MS = `(extract(epoch FROM created_at) * 1000)::bigint AS followed_at`;

/** The only place that speaks SQL about follows. */
@Injectable()
export class FollowsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Inserts the edge and, in the same statement, its outbox row. Returns the edge's time and the
   * row id, or null when the edge already existed (nothing changed, nothing recorded).
   */
  async insert(
    manager: EntityManager,
    followerId: number,
    followeeId: number,
    effects: WriteEffects,
  ): Promise<{ followedAt: number; outboxId: string } | null> {
    const { sql, params } = withOutboxRow(
      `INSERT INTO follows (follower_id, followee_id, created_at)
       VALUES ($1, $2, date_trunc('milliseconds', clock_timestamp()))
       ON CONFLICT DO NOTHING
       RETURNING ${FOLLOWED_AT_MS}`,
      [followerId, followeeId],
      effects,
    );
    try {
      const rows: { followed_at: string; outbox_id: string }[] = await manager.query(sql, params);
      return rows.length
        ? { followedAt: Number(rows[0].followed_at), outboxId: String(rows[0].outbox_id) }
        : null;
    } catch (error) {
      // One of the two users was deleted while we were following.
      throw isForeignKeyViolation(error) ? new NotFoundError('profile not found') : error;
    }
  }

  /**
   * Deletes the edge and, in the same statement, records its outbox row. Returns the row id, or
   * null when there was no edge (nothing changed, nothing recorded).
   */
  async delete(
    manager: EntityManager,
    followerId: number,
    followeeId: number,
    effects: WriteEffects,
  ): Promise<string | null> {
    const { sql, params } = withOutboxRow(
      `DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2 RETURNING 1 AS deleted`,
      [followerId, followeeId],
      effects,
    );
    const rows: { outbox_id: string }[] = await manager.query(sql, params);
    return rows.length ? String(rows[0].outbox_id) : null;
  }

  async count(
    userId: number,
    direction: FollowDirection,
    manager: EntityManager = this.db.manager,
  ): Promise<number> {
    const { owner } = SIDES[direction];
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM follows WHERE ${owner} = $1`,
      [userId],
    );
    return rows[0].n;
  }

  /** Counts for many users in one GROUP BY (index-only scans); users with no rows are absent. */
  async countMany(
    userIds: number[],
    direction: FollowDirection,
    manager: EntityManager = this.db.manager,
  ): Promise<Map<number, number>> {
    if (userIds.length === 0) return new Map();
    const { owner } = SIDES[direction];
    const rows: { user_id: number; n: number }[] = await manager.query(
      `SELECT ${owner} AS user_id, count(*)::int AS n FROM follows
       WHERE ${owner} = ANY($1::int[]) GROUP BY ${owner}`,
      [userIds],
    );
    return new Map(rows.map((row) => [row.user_id, row.n]));
  }

  /** Which of `otherIds` the viewer follows. */
  async followedAmong(viewerId: number, otherIds: number[]): Promise<Set<number>> {
    if (otherIds.length === 0) return new Set();
    const rows: { id: number }[] = await this.db.query(
      `SELECT followee_id AS id FROM follows WHERE follower_id = $1 AND followee_id = ANY($2::int[])`,
      [viewerId, otherIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** One newest-first page of a user's list, strictly after the cursor (keyset pagination). */
  async page(
    userId: number,
    direction: FollowDirection,
    limit: number,
    after: PageCursor | undefined,
  ): Promise<FollowEdge[]> {
    const { owner, other } = SIDES[direction];
    const params: unknown[] = [userId, limit];
    let afterClause = '';
    if (after) {
      params.push(new Date(after.followedAt).toISOString(), after.userId);
      afterClause = `AND (created_at, ${other}) < ($3::timestamptz, $4::int)`;
    }
    const rows: EdgeRow[] = await this.db.query(
      `SELECT ${other} AS user_id, ${FOLLOWED_AT_MS} FROM follows
       WHERE ${owner} = $1 ${afterClause}
       ORDER BY created_at DESC, ${other} DESC
       LIMIT $2`,
      params,
    );
    return rows.map(toEdge);
  }

  /** Every edge of a user's list in id order, in chunks (bounded memory for big lists). */
  async *allEdges(
    userId: number,
    direction: FollowDirection,
    chunk = 5000,
  ): AsyncGenerator<FollowEdge[]> {
    const { owner, other } = SIDES[direction];
    let lastId = 0;
    for (;;) {
      const rows: EdgeRow[] = await this.db.query(
        `SELECT ${other} AS user_id, ${FOLLOWED_AT_MS} FROM follows
         WHERE ${owner} = $1 AND ${other} > $2 ORDER BY ${other} LIMIT $3`,
        [userId, lastId, chunk],
      );
      if (rows.length === 0) return;
      yield rows.map(toEdge);
      lastId = rows[rows.length - 1].user_id;
      if (rows.length < chunk) return;
    }
  }
}
