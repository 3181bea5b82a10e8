import { EventEmitter } from 'node:events';

/**
 * For unit tests: a standalone topology whose one client is the object itself (so a fake
 * extending it is both the RedisTopologyClient and the command client). Excluded from the build.
 */
export class FakeStandaloneTopology extends EventEmitter {
  isReady = true;
  readsFromReplicas = false;
  readerReady = true;
  get primary(): this {
    return this;
  }
  get reader(): this {
    return this;
  }
  /** What WAIT answers (false: the invalidation may die with its master). */
  replicates = true;
  waitForReplica(): Promise<boolean> {
    return Promise.resolve(this.replicates);
  }
  noticeFailover(): void {
    // A standalone server never fails over; tests emit 'failover' themselves.
  }
}
