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
   * same order `run` uses, so it cannot deadlock with writers; releases them the same way.
   */
  async runExclusiveMany<T>(
    keys: string[],
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const ordered = [...new Set(keys)].sort(byKey);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
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
      await runner.release();
    }
  }

  async run<T>(locks: AdvisoryLock[], work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const ordered = [...new Map(locks.map((lock) => [lock.key, lock])).values()].sort((a, b) =>
      byKey(a.key, b.key),
    );
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const taken: AdvisoryLock[] = [];
    try {
      for (const lock of ordered) {
        const fn = lock.mode === 'shared' ? 'pg_advisory_lock_shared' : 'pg_advisory_lock';
        await runner.query(`SELECT ${fn}(hashtextextended($1, 0))`, [lock.key]);
        taken.push(lock);
      }
      return await work(runner.manager);
    } finally {
      for (const lock of taken.reverse()) {
        const fn = lock.mode === 'shared' ? 'pg_advisory_unlock_shared' : 'pg_advisory_unlock';
        await runner.query(`SELECT ${fn}(hashtextextended($1, 0))`, [lock.key]).catch(() => {});
      }
      await runner.release();
    }
  }
}
