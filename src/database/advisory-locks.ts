import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface AdvisoryLock {
  /** Any string; hashed to Postgres' 64-bit advisory lock key space. */
  key: string;
  mode: 'shared' | 'exclusive';
}

/**
 * Postgres session-level advisory locks around a unit of work. The work receives the locking
 * connection's EntityManager and must do its SQL through it: a second pooled connection per lock
 * holder could starve the pool. Locks are taken in a fixed order (no deadlock between two callers)
 * and die with the connection, so a crashed instance never leaves one behind.
 */
@Injectable()
export class AdvisoryLocks {
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(locks: AdvisoryLock[], work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const ordered = [...new Map(locks.map((lock) => [lock.key, lock])).values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
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
