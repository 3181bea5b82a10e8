import type { RedisClientSettings } from './redis-node-clients.js';
import type { RedisTopology } from './redis-topology.js';
import { RedisTopologyClient } from './redis-topology-client.js';

/**
 * The app's entry to Redis connections: the topology-aware client (redis-topology-client.ts) over
 * node-redis' standalone, Sentinel and Cluster clients (redis-node-clients.ts).
 */
export type { RedisClient, RedisClientSettings } from './redis-node-clients.js';
export { RedisTopologyClient } from './redis-topology-client.js';

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
