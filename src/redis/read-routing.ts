import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type NestMiddleware } from '@nestjs/common';

const pinnedToMaster = new AsyncLocalStorage<true>();

/** Whether the current request's cache reads must go to the master (see ReadRoutingMiddleware). */
export function readsPinnedToMaster(): boolean {
  return pinnedToMaster.getStore() === true;
}

/**
 * Read-your-own-writes with replica reads (REDIS_READ_FROM_REPLICAS): every request that carries
 * credentials (an Authorization header) reads from the master, for its whole duration, guards
 * included. A user's writes are authenticated, so every later read of theirs, on any instance,
 * sees the master, which applied the invalidation before the write was answered. No per-user
 * "recent write" marker is needed (one in process memory would not cover the other instances;
 * one in Redis would cost a master round trip per read). Anonymous requests, which have no writes
 * of their own, read from replicas and may see an entry up to the replication lag old.
 */
@Injectable()
export class ReadRoutingMiddleware implements NestMiddleware {
  use(request: { headers: Record<string, unknown> }, _reply: unknown, next: () => void): void {
    if (request.headers.authorization === undefined) return next();
    pinnedToMaster.run(true, next);
  }
}
