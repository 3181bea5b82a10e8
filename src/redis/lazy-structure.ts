import { randomUUID } from 'node:crypto';
import { RedisKeys } from './keys.js';
import type { RedisClient } from './redis.client.js';

/**
 * Shared by the lazily built membership structures (follow zsets, favoriter sets). Every loaded
 * structure holds this member, so a missing key means "not built yet", never "empty".
 */
export const LOADED_SENTINEL = '#';

/** Ids as zero-padded members: Redis' lexicographic tie order is then the numeric order. */
export const idMember = (id: number): string => String(id).padStart(10, '0');

/**
 * Rebuilds `key` from the source of truth: takes the key's lease, lets `build` fill a scratch key
 * in the same slot (starting with the sentinel is the builder's job), then swaps it in only if no
 * write killed the lease meanwhile. Returns false when another builder held the lease or a write
 * intervened (nothing swapped); the scratch key never outlives a failure.
 */
export async function rebuildUnderLease(
  redis: RedisClient,
  key: string,
  leaseMs: number,
  build: (scratchKey: string) => Promise<void>,
): Promise<boolean> {
  const lease = RedisKeys.leaseOf(key);
  const token = randomUUID();
  if ((await redis.set(lease, token, { NX: true, PX: leaseMs })) !== 'OK') return false;
  const scratch = RedisKeys.scratchOf(key, token);
  try {
    await build(scratch);
    return (await redis.swapIfLeaseHeld(scratch, key, lease, token)) === 1;
  } catch (error) {
    await redis.unlink(scratch).catch(() => 0);
    throw error;
  }
}
