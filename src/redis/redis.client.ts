import { EventEmitter } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisTopology } from './redis-topology.js';
import { type MemberFlag, type MembershipProbe, redisScripts } from './redis.scripts.js';

export interface RedisClientSettings {
  connectTimeoutMs: number;
  /** False for one-shot clients (start-up probe, CLIs): a failed connect fails at once. */
  reconnect?: boolean;
  /** Give cache reads a second client that reads from replicas (Sentinel and Cluster only). */
  readFromReplicas?: boolean;
  /** True once the owner closed: no connection may reconnect after that (see RedisTopologyClient). */
  stopped?: () => boolean;
}

/**
 * Connection choices shared by every topology, so a slow or dead Redis cannot hurt requests: the
 * offline queue is off (a command while disconnected fails at once instead of piling up), every
 * call is bounded by the RedisGateway (see with-timeout.ts for why not node-redis' per-command
 * timeout), and reconnects back off up to 5 s.
 */
function nodeOptions(settings: RedisClientSettings) {
  return {
    disableOfflineQueue: true,
    // A safety net for a frozen server (TCP open, no replies): commands that timed out stay queued
    // until it answers. The circuit breaker keeps this queue short; the cap fails the rest at once.
    commandsQueueMaxLength: 10_000,
    socket: {
      connectTimeout: settings.connectTimeoutMs,
      reconnectStrategy:
        settings.reconnect === false
          ? (false as const)
          : (retries: number) =>
              settings.stopped?.() === true
                ? (false as const)
                : Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100),
    },
  };
}

function createStandalone(url: string, settings: RedisClientSettings) {
  return createClient({ url, scripts: redisScripts, ...nodeOptions(settings) });
}

/**
 * The command surface the app codes against: node-redis' standalone client type. node-redis'
 * Sentinel and Cluster clients expose the same command methods (and our scripts) with the same
 * signatures; what differs (MGET across slots, SCAN, readiness, failover) is handled here, in
 * RedisTopologyClient, so nothing above src/redis knows which topology runs.
 */
export type RedisClient = ReturnType<typeof createStandalone>;

type SentinelTopology = Extract<RedisTopology, { kind: 'sentinel' }>;
type ClusterTopology = Extract<RedisTopology, { kind: 'cluster' }>;

function createSentinelClient(
  topology: SentinelTopology,
  settings: RedisClientSettings,
  replicaReads: boolean,
) {
  return createSentinel({
    name: topology.masterName,
    sentinelRootNodes: topology.sentinels,
    scripts: redisScripts,
    nodeClientOptions: nodeOptions(settings),
    sentinelClientOptions: {
      password: topology.sentinelPassword,
      socket: nodeOptions(settings).socket,
    },
    masterPoolSize: 1,
    // With replicas in the pool, node-redis sends read-only commands to them.
    replicaPoolSize: replicaReads ? 1 : 0,
    // Between sentinel notifications, how often the client re-reads the topology.
    scanInterval: 2000,
    // node-redis retries a failed discovery once a second, 16 times by default: a one-shot client
    // (start-up probe, CLIs) with no sentinel reachable would take ~20 s to say so. One retry.
    ...(settings.reconnect === false ? { maxCommandRediscovers: 1 } : {}),
    passthroughClientErrorEvents: true,
  });
}

function createClusterClient(
  topology: ClusterTopology,
  settings: RedisClientSettings,
  replicaReads: boolean,
) {
  return createCluster({
    rootNodes: topology.nodes.map((url) => ({ url })),
    defaults: nodeOptions(settings),
    scripts: redisScripts,
    // With replicas, node-redis spreads read-only commands over each slot's master and replicas.
    useReplicas: replicaReads,
  });
}

type SentinelClient = ReturnType<typeof createSentinelClient>;
type ClusterClient = ReturnType<typeof createClusterClient>;
type AnyClient = RedisClient | SentinelClient | ClusterClient;

/** How often the Cluster client's view of its masters is compared, to notice a failover. */
const CLUSTER_MASTERS_CHECK_MS = 500;
/** At most one slot-map refresh per this interval while a Cluster node fails. */
const CLUSTER_REDISCOVER_MS = 1000;
/** How long a master seen without any replica skips WAIT (which would only run out its time). */
const REPLICA_LESS_MEMO_MS = 1000;

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
  private mastersTimer: NodeJS.Timeout | undefined;
  /** Per Cluster client: the masters array node-redis last built, and its addresses. */
  private readonly knownMasters = new Map<ClusterClient, { list: unknown; addresses: string }>();
  /** Masters (by address) seen with no replica at all, until when. */
  private readonly replicaLessUntil = new Map<string, number>();

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
        reader.on('node-error', () => this.rediscoverCluster());
      }
      primary.on('node-ready', () => this.emit('ready'));
      // node-redis re-reads the slot map on MOVED only; a dead master answers nothing, so its
      // slots would stay pointed at it. A failing node makes us re-read the map (at most 1/s).
      primary.on('node-error', () => this.rediscoverCluster());
      primary.on('node-reconnecting', () => this.rediscoverCluster());
    } else {
      primary = createStandalone(topology.url, this.settings);
    }
    primary.on('error', (error: unknown) => this.emit('error', asError(error)));
    if (topology.kind !== 'cluster') primary.on('ready', () => this.emit('ready'));
    // The reader's errors are the primary's story told twice; they are counted where they fail.
    reader?.on('error', () => undefined);
    this.clients = reader ? [primary, reader] : [primary];
    this.primary = primary as unknown as RedisClient;
    this.reader = (reader ?? primary) as unknown as RedisClient;
  }

  /**
   * A new, unconnected client of the same topology for a subscriber connection (a subscribed
   * connection can run nothing else). node-redis' Sentinel client has no `duplicate()`.
   */
  newSubscriber(): RedisClient {
    const topology = this.topology;
    const client =
      topology.kind === 'sentinel'
        ? createSentinelClient(topology, this.settings, false)
        : topology.kind === 'cluster'
          ? createClusterClient(topology, this.settings, false)
          : createStandalone(topology.url, this.settings);
    return client as unknown as RedisClient;
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
    if (this.topology.kind === 'cluster') this.watchClusterMasters();
  }

  /** Waits for the replies of commands in flight, then closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    await Promise.all(this.clients.map((client) => client.close()));
  }

  /** Drops every connection at once (commands in flight fail). */
  destroy(): void {
    this.closed = true;
    this.stopWatching();
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
    const result = new Array<string | null>(keys.length).fill(null);
    await Promise.all(
      [...groupBySlot(keys).values()].map(async (indexes) => {
        const values = await client.mGet(indexes.map((index) => keys[index]));
        indexes.forEach((index, i) => (result[index] = values[i]));
      }),
    );
    return result;
  }

  /**
   * The `memberFlags` script valid on every topology: one call on a standalone or Sentinel master;
   * on Cluster one call per hash slot (a script's keys must share a slot), sent in parallel (so
   * still one round trip per node), with the answers put back in the order of `probes`.
   */
  async memberFlags(client: RedisClient, probes: MembershipProbe[]): Promise<MemberFlag[]> {
    if (probes.length === 0) return [];
    if (this.topology.kind !== 'cluster') return client.memberFlags(probes);
    const result = new Array<MemberFlag>(probes.length);
    await Promise.all(
      [...groupBySlot(probes.map((probe) => probe.key)).values()].map(async (indexes) => {
        const flags = await client.memberFlags(indexes.map((index) => probes[index]));
        indexes.forEach((index, i) => (result[index] = flags[i]));
      }),
    );
    return result;
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
      return this.replicatedOn('master', timeoutMs, (command) =>
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
        this.replicatedOn(address, timeoutMs, (command) =>
          cluster.sendCommand(key, false, command),
        ),
      ),
    );
    return acked.every(Boolean);
  }

  /**
   * WAIT 1 on one master; when no replica acknowledged, ROLE tells whether it has any replica at
   * all. A master without replicas (a promoted replica whose old master is gone) has nothing a
   * failover could promote, so its own acknowledgement is final: WAIT there would only run out
   * its time on every write, and the outbox would retry its rows forever. Remembered for a
   * second, so such a shard costs one ROLE per second instead of a WAIT timeout per write.
   */
  private async replicatedOn(
    address: string,
    timeoutMs: number,
    send: (command: string[]) => Promise<unknown>,
  ): Promise<boolean> {
    if ((this.replicaLessUntil.get(address) ?? 0) > Date.now()) return true;
    const acked = (await send(['WAIT', '1', String(timeoutMs)])) as number;
    if (acked >= 1) return true;
    const role = (await send(['ROLE'])) as [string, number, unknown[]];
    if (role[0] !== 'master' || role[2].length > 0) return false;
    this.replicaLessUntil.set(address, Date.now() + REPLICA_LESS_MEMO_MS);
    return true;
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

  /**
   * node-redis' Cluster client has no failover event: it re-reads the slot map when a node fails
   * or answers MOVED, building a new `masters` array each time. `noticeFailover` compares that
   * array by identity (free), and only when it is a new one, the addresses in it. The gateway
   * calls it before every command, so the failover listeners run (synchronously) before any
   * command of this process reaches a promoted replica; a timer covers idle periods.
   */
  private watchClusterMasters(): void {
    this.noticeFailover();
    this.mastersTimer = setInterval(() => this.noticeFailover(), CLUSTER_MASTERS_CHECK_MS);
    this.mastersTimer.unref();
  }

  /** Emits `failover` if a Cluster client's masters changed since last asked (see above). */
  noticeFailover(): void {
    if (this.topology.kind !== 'cluster') return;
    for (const client of this.clients as ClusterClient[]) {
      const known = this.knownMasters.get(client);
      const list = client.masters;
      if (known?.list === list) continue;
      const addresses = list
        .map((master) => `${master.host}:${master.port}`)
        .sort()
        .join(',');
      this.knownMasters.set(client, { list, addresses });
      // The first look, or an empty map (a discovery that failed midway): nothing to compare.
      if (!known || known.addresses === addresses || addresses === '') continue;
      this.emit('failover', `masters now ${addresses}`);
    }
  }

  private lastRediscover = 0;

  private rediscoverCluster(): void {
    const now = Date.now();
    if (now - this.lastRediscover < CLUSTER_REDISCOVER_MS) return;
    this.lastRediscover = now;
    // From a seed node (then the others): a live node's CLUSTER SLOTS names the promoted replica.
    const seed = { options: { url: (this.topology as ClusterTopology).nodes[0] } } as never;
    for (const client of this.clients as ClusterClient[])
      void client._slots.rediscover(seed).then(
        () => this.noticeFailover(),
        () => undefined,
      );
  }

  private stopWatching(): void {
    if (this.mastersTimer) clearInterval(this.mastersTimer);
    this.mastersTimer = undefined;
  }
}

/** Indexes of `keys` grouped by hash slot, in order within each slot. */
function groupBySlot(keys: string[]): Map<number, number[]> {
  const bySlot = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = calculateSlot(key);
    const indexes = bySlot.get(slot);
    if (indexes) indexes.push(index);
    else bySlot.set(slot, [index]);
  });
  return bySlot;
}

function describeNode(node: { host?: string; port: number } | undefined): string {
  return node ? `master now ${node.host ?? ''}:${node.port}` : 'master changed';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Builds the app's Redis for the configured topology (not connected yet). */
export function createRedisClient(
  topology: RedisTopology,
  settings: RedisClientSettings,
): RedisTopologyClient {
  return new RedisTopologyClient(topology, settings);
}

/**
 * For one-shot work (start-up probe, CLIs, test clean-up): connects to the configured topology
 * without reconnect attempts, runs `use`, and always drops the connections.
 */
export async function withRedis<T>(
  topology: RedisTopology,
  connectTimeoutMs: number,
  use: (redis: RedisTopologyClient) => Promise<T>,
): Promise<T> {
  const redis = createRedisClient(topology, { connectTimeoutMs, reconnect: false });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.destroy();
  }
}
