import { jest } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { automock, type Mocked } from './automock.js';

/**
 * The connection a unit of work receives. Only `transaction` does something (it runs the work on
 * the same fake); repositories are mocked, so nothing else is ever called on it.
 */
export function fakeEntityManager(): EntityManager {
  const manager = {} as EntityManager;
  const transaction = (work: (tx: EntityManager) => Promise<unknown>) => work(manager);
  Object.assign(manager, { transaction: jest.fn(transaction).mockName('manager.transaction') });
  return manager;
}

/**
 * Advisory locks that are always granted at once: the work runs on `manager` (or on the caller's
 * `on`). The mocks record which locks were asked for, e.g. `locks.run.mock.calls[0][0]`.
 */
export function fakeAdvisoryLocks(manager: EntityManager): Mocked<AdvisoryLocks> {
  const locks = automock(AdvisoryLocks);
  locks.run.mockImplementation((_locks, work) => work(manager));
  locks.runExclusiveMany.mockImplementation((_keys, work, on) => work(on ?? manager));
  return locks;
}
