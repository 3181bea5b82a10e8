import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { readsPinnedToMaster } from './read-routing.js';
import { RedisOutageLog } from './redis-outage-log.js';
import type { RedisClient, RedisTopologyClient } from './redis.client.js';
import { RedisTimeoutError, withTimeout } from './with-timeout.js';

/** Thrown without contacting Redis: the client is disconnected or the circuit is open. */
export class RedisUnavailableError extends Error {
  constructor() {
    super('Redis is unavailable (disconnected or circuit open)');
  }
}

/** One shared instance: a skipped call costs no allocation (and no stack trace). */
const UNAVAILABLE = new RedisUnavailableError();

/** Background work (reconciliation batches, view flushes) gets this multiple of the budget. */
const BACKGROUND_TIMEOUT_FACTOR = 25;

export interface RedisGatewaySettings {
  /** REDIS_COMMAND_TIMEOUT_MS: the budget of one call on a request path. */
  commandTimeoutMs: number;
  /** REDIS_FAILOVER_REPLAY_SECONDS (ms here): how long reads stay on masters after a failover. */
  failoverSettleMs?: number;
}

/**
 * The one way the app talks to Redis. Every call names its operation and:
 * - is skipped at once (RedisUnavailableError) while the client is disconnected or the shared
 *   circuit breaker is open, so a sick Redis costs a request nothing after the first timeout;
 * - is bounded by REDIS_COMMAND_TIMEOUT_MS with a cancellable timer (with-timeout.ts; node-redis'
 *   own per-command timeout leaks timers, see docs/ARCHITECTURE.md). This covers plain commands,
 *   MULTI/pipelines and scripts (EVALSHA, with its EVAL retry) alike: the bound is on the promise;
 * - counts a failure in redis_errors_total{operation} and logs it once per operation per outage
 *   (the log would otherwise repeat per request), and feeds the breaker.
 * Callers decide the fallback: reads go to Postgres, writes to derived data leave it to be
 * repaired (invalidation, lazy rebuild, reconciliation). `recovered` listeners run when Redis
 * answers again after a failure (reconnect or circuit closing), e.g. to replay invalidations.
 *
 * Topology (standalone, Sentinel, Cluster) is invisible here: `run` and `background` go to the
 * master, `read` and `mGet` (cache reads) to a replica when REDIS_READ_FROM_REPLICAS is on and the
 * request carries no credentials (read-routing.ts), and `failover` listeners run when another node
 * became master (writes the old one acknowledged may be gone: treated like data loss).
 */
@Injectable()
export class RedisGateway {
  private readonly log = new RedisOutageLog();
  private readonly breaker = new CircuitBreaker();
  private readonly recoveredListeners: (() => void)[] = [];
  private readonly failoverListeners: ((description: string) => void)[] = [];
  private readonly timeoutMs: number;
  private readonly backgroundTimeoutMs: number;
  private readonly failoverSettleMs: number;
  /** Replica reads resume at this time (ms): after a failover, replicas are being reconfigured. */
  private replicaReadsResumeAt = 0;

  constructor(
    private readonly redis: RedisTopologyClient,
    settings: RedisGatewaySettings,
    private readonly metrics: MetricsService,
  ) {
    this.timeoutMs = settings.commandTimeoutMs;
    this.backgroundTimeoutMs = settings.commandTimeoutMs * BACKGROUND_TIMEOUT_FACTOR;
    this.failoverSettleMs = settings.failoverSettleMs ?? 0;
    this.redis.on('ready', () => this.recovered());
    this.redis.on('failover', (description: string) => this.failedOver(description));
  }

  /**
   * Runs the failover listeners now if the client's view of the masters changed since the last
   * call (see RedisTopologyClient.noticeFailover): callers that decide from their own state
   * whether to trust Redis for a key call it before deciding.
   */
  noticeFailover(): void {
    this.redis.noticeFailover();
  }

  /** Whether a call would be attempted now (connected, circuit closed). Does not take a trial. */
  get usable(): boolean {
    return this.redis.isReady && !this.breaker.isOpen;
  }

  /** A call on a request path: bounded, breaker-guarded, counted. Rejects on any failure. */
  async run<T>(operation: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    this.redis.noticeFailover();
    if (!this.redis.isReady || !this.breaker.admit()) {
      this.metrics.countRedisError(operation);
      throw UNAVAILABLE;
    }
    let result: T;
    try {
      result = await withTimeout(command(this.redis.primary), this.timeoutMs);
    } catch (error) {
      this.failed(operation, error);
      throw error;
    }
    this.succeeded();
    return result;
  }

  /**
   * A cache read that may be served by a replica (see the class comment): bounded and counted like
   * `run`. A failing replica is counted but does not open the shared breaker (the master may be
   * fine); the caller falls back to Postgres either way.
   */
  async read<T>(operation: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    this.redis.noticeFailover();
    if (!this.readsReplica()) return this.run(operation, command);
    try {
      return await withTimeout(command(this.redis.reader), this.timeoutMs);
    } catch (error) {
      this.recordFailure(operation, error);
      throw error;
    }
  }

  /** MGET of cached entries, valid on every topology (one MGET per slot on Cluster), as `read`. */
  mGet(operation: string, keys: string[]): Promise<(string | null)[]> {
    return this.read(operation, (redis) => this.redis.mGet(redis, keys));
  }

  /**
   * The same fields of many hashes in one command (one per slot on Cluster), flat: key i's values
   * at i * fields.length onwards, null where missing. As `run` (on the master); no keys or no
   * fields ask Redis nothing, so they answer even while Redis is down.
   */
  hashFields(operation: string, hashKeys: string[], fields: string[]): Promise<(string | null)[]> {
    if (hashKeys.length === 0 || fields.length === 0) return Promise.resolve([]);
    return this.run(operation, (redis) => this.redis.hashFields(redis, hashKeys, fields));
  }

  /**
   * After writes that must survive a failover (invalidations): whether a replica of each of the
   * keys' masters acknowledged them (see RedisTopologyClient.waitForReplica). Waits at most half
   * the command budget; throws like `run`.
   */
  replicated(operation: string, keys: string[]): Promise<boolean> {
    const waitMs = Math.max(1, Math.floor(this.timeoutMs / 2));
    return this.run(operation, () => this.redis.waitForReplica(keys, waitMs));
  }

  /** `INFO server` of the master holding `key` (see RedisTopologyClient), as a background call. */
  serverInfoOf(operation: string, key: string): Promise<string> {
    return this.background(operation, () => this.redis.serverInfoOf(key));
  }

  /** `run` for writes nobody waits for (presence, view counts): failures are counted, not thrown. */
  fireAndForget(operation: string, command: (redis: RedisClient) => Promise<unknown>): void {
    this.run(operation, command).catch(() => undefined);
  }

  /**
   * A call off the request path (reconciliation, view flushes, lock renewals): bounded by a longer
   * budget (a batch of 1000 users is legitimately slower than a GET), attempted even while the
   * circuit is open (it is not what a request waits on), and counted, without feeding the breaker.
   */
  async background<T>(operation: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    this.redis.noticeFailover();
    try {
      return await withTimeout(command(this.redis.primary), this.backgroundTimeoutMs);
    } catch (error) {
      this.metrics.countRedisError(operation);
      this.log.failed(operation, error);
      throw error;
    }
  }

  /**
   * Takes the lease (or lock) `key` for `ttlMs` (SET NX PX with a random token): the token when
   * granted, null when someone else holds it. Throws when Redis cannot say.
   */
  async takeLease(operation: string, key: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const reply = await this.run(operation, (redis) =>
      redis.set(key, token, { NX: true, PX: ttlMs }),
    );
    return reply === 'OK' ? token : null;
  }

  /** `takeLease` for many keys under one bound: each key's token, or null where not granted. */
  async takeLeases(operation: string, keys: string[], ttlMs: number): Promise<(string | null)[]> {
    const tokens = keys.map(() => randomUUID());
    const replies = await this.run(operation, (redis) =>
      Promise.all(keys.map((key, i) => redis.set(key, tokens[i], { NX: true, PX: ttlMs }))),
    );
    return replies.map((reply, i) => (reply === 'OK' ? tokens[i] : null));
  }

  /** Registers work to do whenever Redis answers again after a failure or a reconnect. */
  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  /**
   * Registers work to do when another node became master (Sentinel promotion, Cluster failover):
   * with asynchronous replication, writes the old master acknowledged (invalidations, counter
   * updates, locks) may be missing on the new one, so listeners repair as after data loss.
   */
  onFailover(listener: (description: string) => void): void {
    this.failoverListeners.push(listener);
  }

  /** Counts and logs (once per outage) a failure the caller caught outside `run`. */
  recordFailure(operation: string, error: unknown): void {
    this.metrics.countRedisError(operation);
    this.log.failed(operation, error);
  }

  /**
   * Whether a `read` issued now may be served by a replica. Such a value must not be kept in the
   * in-process tier: a replica can still hold an entry whose invalidation this instance has
   * already heard on the channel, and the tier would then keep the stale copy for its whole TTL.
   */
  get readsGoToReplica(): boolean {
    return this.readsReplica();
  }

  private readsReplica(): boolean {
    return (
      this.redis.readsFromReplicas &&
      this.redis.readerReady &&
      Date.now() >= this.replicaReadsResumeAt &&
      !readsPinnedToMaster()
    );
  }

  private failedOver(description: string): void {
    // A demoted master can keep serving as a "replica" with old data until the sentinels
    // reconfigure it (~10 s measured after SENTINEL FAILOVER): read from masters meanwhile.
    this.replicaReadsResumeAt = Date.now() + this.failoverSettleMs;
    this.log.failedOver(description);
    this.metrics.countRedisError('failover');
    for (const listener of this.failoverListeners) listener(description);
  }

  private failed(operation: string, error: unknown): void {
    this.breaker.recordFailure(error instanceof RedisTimeoutError);
    this.metrics.countRedisError(operation);
    this.log.failed(operation, error);
  }

  private succeeded(): void {
    if (this.breaker.healthy) return;
    this.breaker.recordSuccess();
    this.recovered();
  }

  private recovered(): void {
    this.log.recovered();
    for (const listener of this.recoveredListeners) listener();
  }
}
