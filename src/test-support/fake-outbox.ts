import type { EntityManager } from 'typeorm';
import { OutboxService } from '../outbox/outbox.service.js';
import { effects } from '../outbox/write-effects.js';
import { automock, type Mocked } from './automock.js';
import { fakeEntityManager } from './fake-database.js';

/**
 * An outbox whose transactions run at once on the caller's manager (or `manager`) and record the
 * effects the work returns, as the real one does, under ids "outbox-1", "outbox-2"...; `complete`
 * and `write` succeed. Assert on `outbox.complete` to see what a writer confirmed.
 */
export function fakeOutbox(manager: EntityManager = fakeEntityManager()): Mocked<OutboxService> {
  const outbox = automock(OutboxService);
  let recorded = 0;
  outbox.transaction.mockImplementation(async (work, on = manager) => {
    const { result, effects: e } = await work(on);
    return { result, recorded: e ? { id: `outbox-${++recorded}`, effects: effects(e) } : null };
  });
  outbox.complete.mockResolvedValue(undefined);
  outbox.write.mockImplementation(async (work) => {
    const { result, recorded: row } = await outbox.transaction(work);
    await outbox.complete(row);
    return result;
  });
  return outbox;
}
