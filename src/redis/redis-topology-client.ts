import { EventEmitter } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { ClusterFailoverWatch } from './cluster-failover-watch.js';
import { perSlot } from './per-slot.js';
import {
  type AnyClient,
  type ClusterClient,
  createClusterClient,
  createSentinelClient,
  createStandalone,
  createTopologyNodeClient,
  type RedisClient,
  type RedisClientSettings,
  type SentinelClient,
} from './redis-node-clients.js';
import type { RedisTopology } from './redis-topology.js';
import { ReplicaAcknowledgement } from './replica-acknowledgement.js';

/**
 * The app's Redis, whatever the topology: `primary` (every write, script, lock, lease, and the
 * reads that must see the latest write) and `reader` (cache reads; replicas when
 * REDIS_READ_FROM_REPLICAS is on, otherwise the same client as `primary`). Events:
 * - `ready`: the primary connection is (again) usable;
 * - `error` (Error): a connection error, as node-redis reports it;
 * - `failover` (description): a different node is master now (Sentinel promotion, Cluster slots
 *   moved to a promoted replica): writes the old master acknowledged may be lost.
 */
export class RedisTopologyClient extends EventEmitter {
  readonly primary: RedisClient;
  readonly reader: RedisClient;
  private readonly clients: AnyClient[];
  /** Cluster only: notices failovers node-redis does not announce (see ClusterFailoverWatch). */
  private readonly clusterWatch: ClusterFailoverWatch | undefined;
  private readonly replicaAcks = new ReplicaAcknowledgement();

  /** Set by close/destroy: see `stopped` in RedisClientSettings. */
  private closed = false;
  private readonly settings: RedisClientSettings;

  constructor(
    readonly topology: RedisTopology,
    settings: RedisClientSettings,
  ) {
    super();
    // node-redis' Sentinel client can leave a node connection it opened during a failover (a
    // replica that is gone) reconnecting after close(): its 5 s backoff timer then keeps the
    // process alive forever (seen: Jest never exiting after the Sentinel drill). Once closed, every
    // connection of ours gives up instead of reconnecting.
    this.settings = { ...settings, stopped: () => this.closed };
    const replicas = settings.readFromReplicas === true && topology.kind !== 'standalone';
    let primary: AnyClient;
    let reader: AnyClient | undefined;
    if (topology.kind === 'sentinel') {
      primary = createSentinelClient(topology, this.settings, false);
      if (replicas) reader = createSentinelClient(topology, this.settings, true);
      // Either client may notice first (the reader's replica list changes with the master).
      for (const client of reader ? [primary, reader] : [primary])
        client.on('topology-change', (event: { type: string; node?: { port: number } }) => {
          if (event.type === 'MASTER_CHANGE') this.emit('failover', describeNode(event.node));
        });
    } else if (topology.kind === 'cluster') {
      primary = createClusterClient(topology, this.settings, false);
      if (replicas) {
        reader = createClusterClient(topology, this.settings, true);
        reader.on('node-error', () => this.clusterWatch?.rediscover());
      }
      primary.on('node-ready', () => this.emit('ready'));
      // A failing node makes us re-read the slot map (see ClusterFailoverWatch.rediscover).
      primary.on('node-error', () => this.clusterWatch?.rediscover());
      primary.on('node-reconnecting', () => this.clusterWatch?.rediscover());
    } else {
      primary = createStandalone(topology.url, this.settings);
    }
    primary.on('error', (error: unknown) => this.emit('error', asError(error)));
    if (topology.kind !== 'cluster') primary.on('ready', () => this.emit('ready'));
    // The reader's errors are the primary's story told twice; they are counted where they fail.
    reader?.on('error', () => undefined);
    this.clients = reader ? [primary, reader] : [primary];
    if (topology.kind === 'cluster')
      this.clusterWatch = new ClusterFailoverWatch(
        this.clients as ClusterClient[],
        topology.nodes[0],
        (description) => this.emit('failover', description),
      );
    this.primary = primary as unknown as RedisClient;
    this.reader = (reader ?? primary) as unknown as RedisClient;
  }

  /**
   * A new, unconnected client of the same topology for a subscriber connection (a subscribed
   * connection can run nothing else). node-redis' Sentinel client has no `duplicate()`.
   */
  newSubscriber(): RedisClient {
    return createTopologyNodeClient(this.topology, this.settings) as unknown as RedisClient;
  }

  get kind(): RedisTopology['kind'] {
    return this.topology.kind;
  }

  /** Whether the primary can take commands now. A Cluster counts as ready while it is open. */
  get isReady(): boolean {
    return this.readyOf(this.clients[0]);
  }

  get isOpen(): boolean {
    return this.clients[0].isOpen;
  }

  /** Whether reads may go to `reader` while it is connected (replica reads configured). */
  get readsFromReplicas(): boolean {
    return this.clients.length > 1;
  }

  get readerReady(): boolean {
    return this.readyOf(this.clients[this.clients.length - 1]);
  }

  private readyOf(client: AnyClient): boolean {
    return this.topology.kind === 'cluster' ? client.isOpen : (client as RedisClient).isReady;
  }

  async connect(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.connect()));
    this.clusterWatch?.start();
  }

  /** Waits for the replies of commands in flight, then closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.clusterWatch?.stop();
    await Promise.all(this.clients.map((client) => client.close()));
  }

  /** Drops every connection at once (commands in flight fail). */
  destroy(): void {
    this.closed = true;
    this.clusterWatch?.stop();
    for (const client of this.clients) {
      try {
        void client.destroy();
      } catch {
        // Already closed.
      }
    }
  }

  /**
   * MGET that is valid on every topology: one MGET on a standalone or Sentinel master; on Cluster
   * one MGET per hash slot (a multi-key command must stay in one slot), sent in parallel, with the
   * replies put back in the order of `keys`.
   */
  async mGet(client: RedisClient, keys: string[]): Promise<(string | null)[]> {
    if (this.topology.kind !== 'cluster' || keys.length < 2) return client.mGet(keys);
    return perSlot(keys, (indexes) => client.mGet(indexes.map((index) => keys[index])));
  }

  /**
   * The `hashFields` script valid on every topology: one call on a standalone or Sentinel master;
   * on Cluster one call per hash slot (a script's keys must share a slot), sent in parallel (so
   * still one round trip per node), the flat answer in the order of `hashKeys`.
   */
  async hashFields(
    client: RedisClient,
    hashKeys: string[],
    fields: string[],
  ): Promise<(string | null)[]> {
    if (hashKeys.length === 0 || fields.length === 0) return [];
    if (this.topology.kind !== 'cluster') return client.hashFields(hashKeys, fields);
    const n = fields.length;
    const rows = await perSlot(hashKeys, async (indexes) => {
      const flat = await client.hashFields(
        indexes.map((index) => hashKeys[index]),
        fields,
      );
      return indexes.map((_, i) => flat.slice(i * n, i * n + n));
    });
    return rows.flat();
  }

  /**
   * Waits (at most `timeoutMs`) until a replica acknowledged the writes this client sent so far to
   * the masters of `keys` (WAIT 1). Sentinel promotes the replica with the most data, and a
   * Cluster the replica of the failed shard, so a write a replica acknowledged survives a
   * failover. False when some master has no replica that caught up in time: the write may be lost
   * with its master. Always true standalone (nothing to fail over to).
   */
  async waitForReplica(keys: string[], timeoutMs: number): Promise<boolean> {
    if (this.topology.kind === 'standalone' || keys.length === 0) return true;
    if (this.topology.kind === 'sentinel') {
      // One master connection (masterPoolSize 1): the one that sent the writes.
      const sentinel = this.clients[0] as SentinelClient;
      return this.replicaAcks.on('master', timeoutMs, (command) =>
        sentinel.sendCommand(false, command),
      );
    }
    const cluster = this.clients[0] as ClusterClient;
    this.noticeFailover();
    const oneKeyPerMaster = new Map<string, string>();
    for (const key of keys) {
      const master = cluster.getSlotMaster(calculateSlot(key));
      oneKeyPerMaster.set(`${master.host}:${master.port}`, key);
    }
    const acked = await Promise.all(
      [...oneKeyPerMaster].map(([address, key]) =>
        this.replicaAcks.on(address, timeoutMs, (command) =>
          cluster.sendCommand(key, false, command),
        ),
      ),
    );
    return acked.every(Boolean);
  }

  /**
   * `INFO server` of the master that holds `key`. On Cluster a keyless INFO would go to any master
   * (each with its own run id); this one asks the node whose run id matters for that key.
   */
  async serverInfoOf(key: string): Promise<string> {
    if (this.topology.kind !== 'cluster') return this.primary.info('server');
    const cluster = this.clients[0] as ClusterClient;
    const node = await cluster.nodeClient(cluster.getSlotMaster(calculateSlot(key)));
    return node.info('server');
  }

  /**
   * Deletes every key matching `pattern` on every master (a Cluster spreads keys over several;
   * SCAN only walks the node it is sent to). Returns how many were removed. For maintenance (seed
   * reset, test clean-up), not for request paths.
   */
  async deleteMatching(pattern: string): Promise<number> {
    let removed = 0;
    for (const node of await this.masterNodeClients()) {
      // SCAN by hand: node-redis' Sentinel client has no scanIterator.
      let cursor = '0';
      do {
        const reply = await node.scan(cursor, { MATCH: pattern, COUNT: 1000 });
        cursor = String(reply.cursor);
        // One UNLINK per key: keys of different slots cannot share a command on Cluster.
        const counts = await Promise.all(reply.keys.map((key) => node.unlink(key)));
        removed += counts.reduce((sum, count) => sum + count, 0);
      } while (cursor !== '0');
    }
    return removed;
  }

  private async masterNodeClients(): Promise<RedisClient[]> {
    const primary = this.clients[0];
    if (this.topology.kind !== 'cluster') return [primary as RedisClient];
    const cluster = primary as ClusterClient;
    return Promise.all(cluster.masters.map((master) => cluster.nodeClient(master)));
  }

  /** Emits `failover` if a Cluster client's masters changed since last asked. */
  noticeFailover(): void {
    this.clusterWatch?.notice();
  }
}

function describeNode(node: { host?: string; port: number } | undefined): string {
  return node ? `master now ${node.host ?? ''}:${node.port}` : 'master changed';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
