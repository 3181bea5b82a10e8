import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { Env } from '../config/env.schema.js';

const RECONNECT_MS = 1000;

/** What a module hears on one channel. */
export interface ChannelListener {
  /** A NOTIFY on the channel (delivered after the notifying transaction committed). */
  notified(payload: string): void;
  /**
   * LISTEN is in place (first time, or again after a lost connection). Notifications sent while
   * no connection listened are lost: a listener that caches must have dropped what it held when
   * the connection went, and a listener that wakes on notifications catches up here.
   */
  listening?(): void;
  /** The connection is gone: no notification arrives until `listening` is called again. */
  lost?(): void;
}

/**
 * The instance's one Postgres connection that LISTENs, shared by every channel (the outbox
 * relay's wake-ups, role changes): a pooled connection would be returned to the pool and lose its
 * LISTEN, and one connection per feature would multiply idle connections per instance. It is
 * opened on the first `subscribe` (an instance or a CLI that subscribes to nothing opens none)
 * and reconnects every second while Postgres is away.
 */
@Injectable()
export class PostgresNotifications implements OnApplicationShutdown {
  private readonly logger = new Logger(PostgresNotifications.name);
  private readonly channels = new Map<string, ChannelListener[]>();
  /** Set while LISTEN is in place on it (every channel subscribed so far). */
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly env: Env) {}

  /** Calls `listener` for the channel's notifications from now on (and for connection changes). */
  subscribe(channel: string, listener: ChannelListener): void {
    if (!/^[a-z_]+$/.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
    const listeners = this.channels.get(channel);
    if (listeners) {
      listeners.push(listener);
      if (this.client) listener.listening?.();
      return;
    }
    this.channels.set(channel, [listener]);
    if (this.client) {
      // Already connected for other channels: add this one on the same connection.
      const client = this.client;
      client
        .query(`LISTEN ${channel}`)
        .then(() => this.client === client && listener.listening?.())
        .catch(() => undefined); // the connection failed: `end` reconnects with every channel
      return;
    }
    this.start();
  }

  /** Whether LISTEN is in place right now (a notification sent now will be delivered). */
  isListening(): boolean {
    return this.client !== undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private start(): void {
    if (this.stopped || this.connecting || this.client) return;
    this.connecting = this.connect().finally(() => (this.connecting = undefined));
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.env.DATABASE_URL,
      application_name: 'conduit-listener',
    });
    client.on('notification', (message) => {
      for (const listener of this.channels.get(message.channel) ?? [])
        listener.notified(message.payload ?? '');
    });
    client.on('error', (error) => {
      this.logger.warn(`Postgres listener lost its connection: ${error.message}`);
    });
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.disconnected(true);
    });
    try {
      await client.connect();
      // Until every channel is listened: one may be subscribed while a LISTEN is under way.
      const listened = new Set<string>();
      for (;;) {
        const missing = [...this.channels.keys()].filter((channel) => !listened.has(channel));
        if (missing.length === 0) break;
        for (const channel of missing) {
          await client.query(`LISTEN ${channel}`);
          listened.add(channel);
        }
      }
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      for (const listeners of this.channels.values())
        for (const listener of listeners) listener.listening?.();
    } catch (error) {
      this.logger.warn(`Postgres listener could not connect: ${String(error)}`);
      await client.end().catch(() => undefined);
      this.disconnected(false);
    }
  }

  private disconnected(wasListening: boolean): void {
    if (wasListening)
      for (const listeners of this.channels.values())
        for (const listener of listeners) listener.lost?.();
    if (this.stopped) return;
    setTimeout(() => this.start(), RECONNECT_MS).unref();
  }
}
