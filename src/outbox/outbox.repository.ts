import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type OutboxJob, withJobIds, type WriteEffects } from './write-effects.js';

/** The channel a writer notifies when it could not apply its own effects. */
export const OUTBOX_CHANNEL = 'cache_outbox';

export interface OutboxRow extends WriteEffects {
  id: string;
}

interface RawRow {
  id: string;
  cache_keys: string[];
  tags: string[];
  derived_keys: string[];
  recount_users: number[];
  jobs: OutboxJob[];
}

/** The only SQL about the cache outbox. */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a write's effects; run it on the write's own transaction. Returns the row id. */
  async insert(manager: EntityManager, e: WriteEffects): Promise<string> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO cache_outbox (cache_keys, tags, derived_keys, recount_users, jobs)
       VALUES ($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb) RETURNING id`,
      [e.cacheKeys, e.tags, e.derivedKeys, e.recountUsers, JSON.stringify(e.jobs)],
    );
    return rows[0].id;
  }

  /** Deletes rows (one statement for a whole batch), on the caller's transaction. */
  async deleteMany(ids: string[], manager: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(`DELETE FROM cache_outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /**
   * Deletes confirmed rows without waiting for the WAL flush (synchronous_commit off for this
   * statement's own transaction only, set in the same statement): a delete lost in a crash only
   * makes a relay apply the row once more, which is harmless, so it need not cost the fsync every
   * write's own commit already paid.
   */
  async deleteConfirmed(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
       DELETE FROM cache_outbox
       WHERE id = ANY($1::bigint[]) AND EXISTS (SELECT 1 FROM async_commit)`,
      [ids],
    );
  }

  /**
   * Locks up to `limit` rows for this transaction: the ids asked for, and any row older than the
   * grace (its writer had time to confirm it and did not: crashed or lost Redis). Rows another
   * relay holds are skipped, never waited for.
   */
  async claim(
    manager: EntityManager,
    ids: string[],
    graceMs: number,
    limit: number,
  ): Promise<OutboxRow[]> {
    const rows: RawRow[] = await manager.query(
      `SELECT id, cache_keys, tags, derived_keys, recount_users, jobs FROM cache_outbox
       WHERE id = ANY($1::bigint[]) OR created_at <= now() - make_interval(secs => $2::float8 / 1000)
       ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [ids, graceMs, limit],
    );
    return rows.map((row) => ({
      id: String(row.id),
      cacheKeys: row.cache_keys,
      tags: row.tags,
      derivedKeys: row.derived_keys,
      recountUsers: row.recount_users,
      jobs: withJobIds(String(row.id), row.jobs),
    }));
  }

  /** Which of these ids are still waiting (another relay may hold them right now). */
  async stillPending(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM cache_outbox WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return rows.map((row) => String(row.id));
  }

  /** The cache keys of those of these rows still pending, by row id. */
  async pendingCacheKeys(ids: string[]): Promise<Map<string, string[]>> {
    if (ids.length === 0) return new Map();
    const rows: { id: string; cache_keys: string[] }[] = await this.db.query(
      `SELECT id, cache_keys FROM cache_outbox WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(rows.map((row) => [String(row.id), row.cache_keys]));
  }

  /** Wakes the relay of every instance (LISTEN/NOTIFY) for these rows. */
  async notify(ids: string[]): Promise<void> {
    await this.db.query(`SELECT pg_notify($1, $2)`, [OUTBOX_CHANNEL, ids.join(',')]);
  }
}
