import { randomUUID } from 'node:crypto';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { RedisKeys } from './keys.js';
import { RedisGateway } from './redis-gateway.js';

/** A cluster-wide lock we hold: renewed in the background until released. */
export interface HeldLock {
  readonly key: string;
  /** True once the lock can no longer be vouched for: stop work that needs exclusivity. */
  readonly lost: boolean;
  /** Stops renewing, releases the Postgres lock and deletes the Redis key if still ours. */
  release(): Promise<void>;
}

export interface LockOptions {
  ttlMs: number;
  /** Called after each successful renewal (e.g. to extend keys that must outlive the lock). */
  onRenew?: () => Promise<unknown>;
}

/** How often a release Redis did not confirm is tried again (until the key's own TTL ends it). */
const RELEASE_RETRY_MS = 1000;

/**
 * Single-runner locks across app instances (reconciliation, views flush), in two layers:
 * - Redis, a cheap pre-check: `SET lock:<name> <random token> NX PX ttl`, renewed every third of
 *   the TTL (PEXPIRE only if the token is still ours), released by a Lua compare-and-delete. Most
 *   contenders stop here without touching Postgres.
 * - Postgres, the authority: a session-level `pg_try_advisory_lock` held on a dedicated connection
 *   for the whole run. A Redis lock can vanish in a failover (asynchronous replication: the new
 *   master may never have seen the SET), letting a second runner past the pre-check; it then
 *   fails here. The advisory lock dies with its connection, so a crashed runner frees it at once.
 * `lost` turns true only when the Postgres session fails (the run cannot vouch for exclusivity
 * any more). A Redis key that disappeared is put back by the next renewal. A key of ours that
 * Redis did not confirm deleting, or whose SET got no answer in time (a failover or outage under
 * way), is deleted by token in the background, retried every RELEASE_RETRY_MS until its TTL: an
 * orphaned key fails every other runner's pre-check, and a failover drill saw the views flush
 * skip every tick for the lock's whole 60 s TTL after one.
 */
@Injectable()
export class RedisLocks implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RedisLocks.name);
  private readonly releaseRetries = new Set<NodeJS.Timeout>();

  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly dataSource: DataSource,
  ) {}

  /** Takes the lock, or returns null when someone else holds it. Throws when Redis cannot say. */
  async tryAcquire(name: string, options: LockOptions): Promise<HeldLock | null> {
    const key = this.keys.lock(name);
    const token = randomUUID();
    let granted: boolean;
    try {
      granted =
        (await this.redis.run(`lock.${name}`, (redis) =>
          redis.set(key, token, { NX: true, PX: options.ttlMs }),
        )) === 'OK';
    } catch (error) {
      // No answer in time, yet the SET may still land (a client that was switching masters sends
      // it on reconnect: seen in a SENTINEL FAILOVER drill). Our token would then hold the key
      // for its whole TTL: delete it if it is ours.
      void this.releaseUntilConfirmed(key, token, options.ttlMs);
      throw error;
    }
    if (!granted) return null;
    const session = await this.takeAdvisoryLock(key).catch((error: unknown) => {
      void this.releaseUntilConfirmed(key, token, options.ttlMs);
      throw error;
    });
    if (session === null) {
      // The Redis key was missing while another runner holds the run (a failover lost it).
      this.logger.warn(`lock ${key}: Redis granted it but Postgres says another run holds it`);
      await this.releaseUntilConfirmed(key, token, options.ttlMs);
      return null;
    }
    return this.hold(key, token, session, options);
  }

  async isHeld(name: string): Promise<boolean> {
    return (
      (await this.redis.run(`lock.${name}`, (redis) => redis.exists(this.keys.lock(name)))) === 1
    );
  }

  /** The advisory lock on a connection of its own (returned to the pool on release), or null. */
  private async takeAdvisoryLock(key: string): Promise<QueryRunner | null> {
    const session = this.dataSource.createQueryRunner();
    await session.connect();
    try {
      const [row] = (await session.query(
        `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS granted`,
        [key],
      )) as { granted: boolean }[];
      if (row.granted) return session;
    } catch (error) {
      await session.release();
      throw error;
    }
    await session.release();
    return null;
  }

  beforeApplicationShutdown(): void {
    for (const timer of this.releaseRetries) clearTimeout(timer);
    this.releaseRetries.clear();
  }

  /** Compare-and-delete of our key: true once Redis confirmed it (deleted, or not ours any more). */
  private releaseRedisKey(key: string, token: string): Promise<boolean> {
    return this.redis
      .background('lock.release', (client) => client.releaseLock(key, token))
      .then(
        () => true,
        () => false,
      );
  }

  /** Releases the key now, or keeps trying in the background until `ttlMs` would have ended it. */
  private async releaseUntilConfirmed(key: string, token: string, ttlMs: number): Promise<void> {
    const until = Date.now() + ttlMs;
    const attempt = async (): Promise<void> => {
      if ((await this.releaseRedisKey(key, token)) || Date.now() + RELEASE_RETRY_MS >= until)
        return;
      const timer = setTimeout(() => {
        this.releaseRetries.delete(timer);
        void attempt();
      }, RELEASE_RETRY_MS);
      timer.unref();
      this.releaseRetries.add(timer);
    };
    await attempt();
  }

  private hold(key: string, token: string, session: QueryRunner, options: LockOptions): HeldLock {
    let lost = false;
    let renewing: Promise<void> = Promise.resolve();
    const renew = async (): Promise<void> => {
      try {
        // The authority: the session (and with it the advisory lock) must still be alive.
        await session.query('SELECT 1');
      } catch (error) {
        lost = true;
        clearInterval(timer);
        this.logger.warn(`lock ${key} was lost (its Postgres session failed): ${String(error)}`);
        return;
      }
      try {
        const extended = await this.redis.background('lock.renew', (redis) =>
          redis.extendLock(key, token, options.ttlMs),
        );
        if (extended === 0) {
          // Gone from Redis (failover, or an outage longer than the TTL): put the pre-check back.
          await this.redis.background('lock.renew', (redis) =>
            redis.set(key, token, { NX: true, PX: options.ttlMs }),
          );
        }
        await options.onRenew?.();
      } catch (error) {
        // A Redis blip: the Postgres lock still holds; the next renewal retries.
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
    const releaseRedisKey = () => this.releaseUntilConfirmed(key, token, options.ttlMs);
    return {
      key,
      get lost() {
        return lost;
      },
      async release() {
        clearInterval(timer);
        await renewing;
        try {
          await session.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
        } catch {
          // The session failed: its locks died with it.
        } finally {
          await session.release();
        }
        await releaseRedisKey();
      },
    };
  }
}
