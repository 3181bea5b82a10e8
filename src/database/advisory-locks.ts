import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface AdvisoryLock {
  /** Any string; hashed to Postgres' 64-bit advisory lock key space. */
  key: string;
  mode: 'shared' | 'exclusive';
}

/** The one order every holder of several locks takes them in (code-unit order of the keys). */
const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Postgres session-level advisory locks around a unit of work. The work receives the locking
 * connection's EntityManager and must do its SQL through it: a second pooled connection per lock
 * holder could starve the pool. Locks are taken in a fixed order (no deadlock between two callers)
 * and die with the connection, so a crashed instance never leaves one behind.
 */
@Injectable()
export class AdvisoryLocks {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes many exclusive locks in ONE statement (a reconciliation batch locks ~1000 users), in the
   * same order `run` uses, so it cannot deadlock with writers; releases them the same way. With
   * `on`, runs on that manager's connection (e.g. inside the caller's transaction, so the caller
   * never waits for a second connection of its own: Postgres sees the whole wait and detects a
   * deadlock); the connection must hold no other session-level advisory lock.
   */
  async runExclusiveMany<T>(
    keys: string[],
    work: (manager: EntityManager) => Promise<T>,
    on?: EntityManager,
  ): Promise<T> {
    const ordered = [...new Set(keys)].sort(byKey);
    const runner = on?.queryRunner ?? this.dataSource.createQueryRunner();
    if (!on?.queryRunner) await runner.connect();
    try {
      // unnest ... WITH ORDINALITY keeps the array's (JavaScript) order; the database collation's
      // order could differ from the one writers lock in.
      await runner.query(
        `SELECT pg_advisory_lock(hashtextextended(k, 0))
         FROM unnest($1::text[]) WITH ORDINALITY AS t(k, i) ORDER BY i`,
        [ordered],
      );
      return await work(runner.manager);
    } finally {
      // Session-level advisory locks survive a failed statement: drop whatever this session holds
      // (it is ours alone until released to the pool).
      await runner.query(`SELECT pg_advisory_unlock_all()`).catch(() => {});
      if (!on?.queryRunner) await runner.release();
    }
  }

  /** Takes `locks` (shared or exclusive) in ONE statement, in a fixed order; see the class doc. */
  async run<T>(locks: AdvisoryLock[], work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const ordered = [...new Map(locks.map((lock) => [lock.key, lock])).values()].sort((a, b) =>
      byKey(a.key, b.key),
    );
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      if (ordered.length > 0) {
        // One round trip however many locks (a follow takes three, a views flush one per author).
        await runner.query(
          `SELECT CASE WHEN shared THEN pg_advisory_lock_shared(hashtextextended(k, 0))::text
                       ELSE pg_advisory_lock(hashtextextended(k, 0))::text END
           FROM unnest($1::text[], $2::bool[]) WITH ORDINALITY AS t(k, shared, i) ORDER BY i`,
          [ordered.map((lock) => lock.key), ordered.map((lock) => lock.mode === 'shared')],
        );
      }
      return await work(runner.manager);
    } finally {
      if (ordered.length > 0) await runner.query(`SELECT pg_advisory_unlock_all()`).catch(() => {});
      await runner.release();
    }
  }
}
