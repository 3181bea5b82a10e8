import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where an SQL statement comes from: a request (or a CLI) or the app's own background work (outbox
 * relay and confirmations, data-loss checks, queued jobs). `db_queries_total{origin}` tells them
 * apart, so "this cached read cost no SQL" can be measured on a busy instance, in tests too.
 */
export type QueryOrigin = 'request' | 'background';

const background = new AsyncLocalStorage<true>();

/** Runs `work` (and everything it starts asynchronously) as background work. */
export function inBackground<T>(work: () => T): T {
  return background.run(true, work);
}

export function currentQueryOrigin(): QueryOrigin {
  return background.getStore() ? 'background' : 'request';
}
