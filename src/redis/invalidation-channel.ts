import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisConnection } from './redis-connection.js';
import { RedisGateway } from './redis-gateway.js';

/** What an in-process cache does with the channel's news. */
export interface InvalidationListener {
  /** These keys changed somewhere (this instance included): forget them. */
  invalidated(keys: string[]): void;
  /** The channel can no longer vouch for anything (disconnect, Redis restart): forget everything. */
  dropped(): void;
  /** The channel is subscribed again and proven to deliver: caching may resume. */
  synced(): void;
}

const SYNC_PREFIX = 'sync:';

/**
 * Cache invalidations broadcast to every instance over Redis pub/sub, on a dedicated subscriber
 * connection (a subscribed connection can run nothing else). Publishing goes through the gateway
 * like every other call on a request path.
 *
 * The channel is "synced" only once a probe this instance published on it came back: that proves
 * the subscription is live, so nothing published after that moment can be missed. Any error,
 * disconnect or reconnect of the subscriber makes it "dropped" until the next probe returns; the
 * in-process tier empties itself and stops caching meanwhile (it cannot know what it missed).
 * Pub/sub rather than RESP3 client-side caching: see docs/ARCHITECTURE.md.
 */
@Injectable()
export class InvalidationChannel implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(InvalidationChannel.name);
  private readonly subscriber;
  readonly name: string;
  private readonly listeners: InvalidationListener[] = [];
  private pendingProbe: string | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private isSynced = false;
  private subscribed = false;
  private closing = false;

  constructor(
    connection: RedisConnection,
    private readonly gateway: RedisGateway,
    env: Env,
  ) {
    this.name = `${env.REDIS_KEY_PREFIX}invalidations`;
    // A client of the app's topology: node-redis' Sentinel client keeps
    // its subscriptions on the current master, the Cluster client on one node of its choice
    // (PUBLISH reaches every node of a cluster). Standalone clients say 'ready'/'end', the
    // Cluster client 'connect'/'disconnect', Sentinel only errors and topology changes: any sign
    // of trouble drops the channel (the tier empties), any sign of life (re)subscribes and probes.
    this.subscriber = connection.redis.newSubscriber();
    for (const trouble of ['error', 'end', 'reconnecting', 'disconnect', 'node-error']) {
      this.subscriber.on(trouble, () => this.drop());
    }
    for (const alive of ['ready', 'connect']) this.subscriber.on(alive, () => void this.ready());
    // After a failover messages published on the old master may never have reached us.
    this.gateway.onFailover(() => {
      this.drop();
      void this.ready();
    });
  }

  get synced(): boolean {
    return this.isSynced;
  }

  listen(listener: InvalidationListener): void {
    this.listeners.push(listener);
  }

  /** Not awaited: the app boots (and serves from Postgres) while Redis is away. */
  onModuleInit(): void {
    this.subscriber.connect().then(
      // Shut down while still connecting (a Sentinel client is not "open" until it has found
      // the master): close the connection that just arrived instead of keeping it forever.
      () => (this.closing ? this.forceClose() : this.ready()),
      () => undefined,
    );
  }

  /** Tells every instance (this one too) that these keys changed. Rejects when Redis cannot. */
  async publish(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.gateway.run('invalidation.publish', (redis) =>
      redis.publish(this.name, JSON.stringify(keys)),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.probeTimer);
    this.drop();
    if (this.subscriber.isReady) {
      await this.subscriber.close().catch(() => this.forceClose());
    } else {
      this.forceClose();
    }
  }

  private forceClose(): void {
    try {
      this.subscriber.destroy();
    } catch {
      // Not open (yet): the connect callback closes it if it ever arrives.
    }
  }

  /** Subscribes on the first connection (node-redis resubscribes on reconnects), then probes. */
  private async ready(): Promise<void> {
    if (!this.subscribed) {
      try {
        await this.subscriber.subscribe(this.name, (message) => this.received(message));
        this.subscribed = true;
      } catch {
        return; // the connection failed again: the next 'ready' retries
      }
    }
    this.probe();
  }

  private received(message: string): void {
    if (message.startsWith(SYNC_PREFIX)) {
      if (message === `${SYNC_PREFIX}${this.pendingProbe}`) this.markSynced();
      return;
    }
    let keys: unknown;
    try {
      keys = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(keys)) return;
    const strings = keys.filter((key): key is string => typeof key === 'string');
    for (const listener of this.listeners) listener.invalidated(strings);
  }

  /** Publishes a probe on the channel; until it comes back the tier stays off. Retried. */
  private probe(): void {
    if (this.closing) return;
    clearTimeout(this.probeTimer);
    const token = randomUUID();
    this.pendingProbe = token;
    this.gateway
      .run('invalidation.probe', (redis) => redis.publish(this.name, `${SYNC_PREFIX}${token}`))
      .catch(() => undefined);
    // A probe lost to a failure is sent again while the channel is not synced.
    this.probeTimer = setTimeout(() => {
      if (!this.isSynced) void this.ready();
    }, 1000).unref();
  }

  private markSynced(): void {
    if (this.isSynced) return;
    this.isSynced = true;
    clearTimeout(this.probeTimer);
    for (const listener of this.listeners) listener.synced();
  }

  private drop(): void {
    this.pendingProbe = undefined;
    const wasSynced = this.isSynced;
    this.isSynced = false;
    for (const listener of this.listeners) listener.dropped();
    if (wasSynced && !this.closing) {
      this.logger.warn('cache invalidation channel dropped: the in-process cache is emptied');
    }
  }
}
