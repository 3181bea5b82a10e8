import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.client.js';
import { InjectRedis } from './redis.constants.js';

/** A cluster-wide lock we hold: renewed in the background until released. */
export interface HeldLock {
  readonly key: string;
  /** True once a renewal found the lock gone or taken over: stop work that needs exclusivity. */
  readonly lost: boolean;
  /** Stops renewing and deletes the lock if it is still ours (compare-and-delete). */
  release(): Promise<void>;
}

export interface LockOptions {
  ttlMs: number;
  /** Called after each successful renewal (e.g. to extend keys that must outlive the lock). */
  onRenew?: () => Promise<unknown>;
}

/**
 * Mutual exclusion across app instances: `SET lock:<name> <random token> NX PX ttl`, renewed every
 * third of the TTL while held (PEXPIRE only if the token is still ours), released by a Lua
 * compare-and-delete. A crashed holder stops renewing, so it blocks others for at most one TTL.
 */
@Injectable()
export class RedisLocks {
  private readonly logger = new Logger(RedisLocks.name);

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Takes the lock, or returns null when someone else holds it. */
  async tryAcquire(name: string, options: LockOptions): Promise<HeldLock | null> {
    const key = this.keys.lock(name);
    const token = randomUUID();
    if ((await this.redis.set(key, token, { NX: true, PX: options.ttlMs })) !== 'OK') return null;
    return this.hold(key, token, options);
  }

  async isHeld(name: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.lock(name))) === 1;
  }

  private hold(key: string, token: string, options: LockOptions): HeldLock {
    let lost = false;
    let renewing: Promise<void> = Promise.resolve();
    const renew = async (): Promise<void> => {
      try {
        if ((await this.redis.extendLock(key, token, options.ttlMs)) === 0) {
          lost = true;
          clearInterval(timer);
          this.logger.warn(`lock ${key} was lost (expired or taken over)`);
          return;
        }
        await options.onRenew?.();
      } catch (error) {
        // A Redis blip: keep trying; if it lasts longer than the TTL the next renewal sees it lost.
        this.logger.warn(`renewing lock ${key} failed: ${String(error)}`);
      }
    };
    const timer = setInterval(
      () => {
        renewing = renew();
      },
      Math.max(Math.floor(options.ttlMs / 3), 100),
    );
    timer.unref();
    const redis = this.redis;
    return {
      key,
      get lost() {
        return lost;
      },
      async release() {
        clearInterval(timer);
        await renewing;
        if (!lost) await redis.releaseLock(key, token);
      },
    };
  }
}
