import { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.client.js';
import type { RedisGateway } from './redis-gateway.js';

/**
 * Shared by the lazily built membership structures (follow zsets, favorites sets). Every loaded
 * structure holds this member, so a missing key means "not built yet", never "empty".
 */
export const LOADED_SENTINEL = '#';

/** Ids as zero-padded members: Redis' lexicographic tie order is then the numeric order. */
export const idMember = (id: number): string => String(id).padStart(10, '0');

/** Adds one chunk of members to a scratch structure; called once per chunk, each call bounded. */
export type ScratchWriter = (redis: RedisClient, scratchKey: string) => Promise<unknown>;

/**
 * Rebuilds `key` from the source of truth: takes the key's lease, writes `chunks` into a scratch
 * key in the same slot (starting with the sentinel is the caller's job: its first chunk), each one
 * through the gateway (bounded, counted), then swaps the scratch key in only if no write killed
 * the lease meanwhile. Returns false when another builder held the lease or a write intervened
 * (nothing swapped); the scratch key never outlives a failure.
 */
export async function rebuildUnderLease(
  redis: RedisGateway,
  operation: string,
  key: string,
  leaseMs: number,
  chunks: AsyncIterable<ScratchWriter>,
): Promise<boolean> {
  const lease = RedisKeys.leaseOf(key);
  const token = await redis.takeLease(operation, lease, leaseMs);
  if (token === null) return false;
  const scratch = RedisKeys.scratchOf(key, token);
  try {
    for await (const write of chunks)
      await redis.run(operation, (client) => write(client, scratch));
    const swapped = await redis.run(operation, (client) =>
      client.swapIfLeaseHeld(scratch, key, lease, token),
    );
    return swapped === 1;
  } catch (error) {
    redis.fireAndForget(operation, (client) => client.unlink(scratch));
    throw error;
  }
}
