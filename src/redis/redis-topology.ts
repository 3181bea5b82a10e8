import type { Env } from '../config/env.schema.js';
import { redactUrl } from '../database/ensure-database.js';

export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Which Redis the app talks to: picked once, at start-up, from the environment. */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisNodeAddress[];
      masterName: string;
      sentinelPassword?: string;
    }
  | { kind: 'cluster'; nodes: string[] };

type TopologyEnv = Pick<
  Env,
  | 'REDIS_URL'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_MASTER'
  | 'REDIS_SENTINEL_PASSWORD'
  | 'REDIS_CLUSTER_NODES'
>;

const listOf = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** REDIS_SENTINELS or REDIS_CLUSTER_NODES win over REDIS_URL (env.schema.ts rejects both). */
export function redisTopologyOf(env: TopologyEnv): RedisTopology {
  if (env.REDIS_SENTINELS) {
    return {
      kind: 'sentinel',
      sentinels: listOf(env.REDIS_SENTINELS).map((item) => {
        const at = item.lastIndexOf(':');
        return { host: item.slice(0, at), port: Number(item.slice(at + 1)) };
      }),
      masterName: env.REDIS_SENTINEL_MASTER,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined,
    };
  }
  if (env.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: listOf(env.REDIS_CLUSTER_NODES) };
  return { kind: 'standalone', url: env.REDIS_URL };
}

/** One line naming the topology (passwords redacted): the start-up log and failure messages. */
export function describeTopology(topology: RedisTopology): string {
  switch (topology.kind) {
    case 'standalone':
      return `Redis at ${redactUrl(topology.url)}`;
    case 'sentinel':
      return `Redis Sentinel master "${topology.masterName}" via sentinels ${topology.sentinels
        .map((node) => `${node.host}:${node.port}`)
        .join(',')}`;
    case 'cluster':
      return `Redis Cluster via seed nodes ${topology.nodes.map(redactUrl).join(',')}`;
  }
}

/** The variables to fix when a topology cannot be reached. */
export function topologyVariables(topology: RedisTopology): string {
  switch (topology.kind) {
    case 'standalone':
      return 'REDIS_URL';
    case 'sentinel':
      return 'REDIS_SENTINELS / REDIS_SENTINEL_MASTER';
    case 'cluster':
      return 'REDIS_CLUSTER_NODES';
  }
}
