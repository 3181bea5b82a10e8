import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisTopology } from './redis-topology.js';
import { redisScripts } from './scripts/index.js';

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

export function createStandalone(url: string, settings: RedisClientSettings) {
  return createClient({ url, scripts: redisScripts, ...nodeOptions(settings) });
}

/**
 * The command surface the app codes against: node-redis' standalone client type. node-redis'
 * Sentinel and Cluster clients expose the same command methods (and our scripts) with the same
 * signatures; what differs (MGET across slots, SCAN, readiness, failover) is handled in
 * RedisTopologyClient, so nothing above src/redis knows which topology runs.
 */
export type RedisClient = ReturnType<typeof createStandalone>;

export type SentinelTopology = Extract<RedisTopology, { kind: 'sentinel' }>;
export type ClusterTopology = Extract<RedisTopology, { kind: 'cluster' }>;

export function createSentinelClient(
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

export function createClusterClient(
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

export type SentinelClient = ReturnType<typeof createSentinelClient>;
export type ClusterClient = ReturnType<typeof createClusterClient>;
export type AnyClient = RedisClient | SentinelClient | ClusterClient;

/** A new, unconnected primary-role client of `topology` (no replica reads). */
export function createTopologyNodeClient(
  topology: RedisTopology,
  settings: RedisClientSettings,
): AnyClient {
  return topology.kind === 'sentinel'
    ? createSentinelClient(topology, settings, false)
    : topology.kind === 'cluster'
      ? createClusterClient(topology, settings, false)
      : createStandalone(topology.url, settings);
}
