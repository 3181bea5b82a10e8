/** How long a cache family keeps its entries. Seconds; jitter is added at random per write. */
export interface CachePolicy {
  /** Metric label, e.g. `profile`. */
  name: string;
  ttlSeconds: number;
  jitterSeconds: number;
  negativeTtlSeconds: number;
  negativeJitterSeconds: number;
}

/** Stored in place of a value to remember that the database has no such row. */
export const NEGATIVE_MARKER = '~nil';

/**
 * TTL in milliseconds with a uniform random jitter, so that entries written together (a deploy,
 * a warm-up) do not all expire together and send one avalanche of misses to Postgres.
 */
export function ttlWithJitterMs(
  baseSeconds: number,
  jitterSeconds: number,
  random = Math.random,
): number {
  return Math.round((baseSeconds + random() * jitterSeconds) * 1000);
}

export type Decoded<T> = { found: false } | { found: true; value: T | null };

/** Encodes a loaded value (`null` = no such row) for Redis. */
export function encodeEntry<T>(value: T | null): string {
  return value === null ? NEGATIVE_MARKER : JSON.stringify(value);
}

/** Decodes a Redis reply; a missing or corrupt entry counts as not found. */
export function decodeEntry<T>(raw: string | null | undefined): Decoded<T> {
  if (raw === null || raw === undefined) return { found: false };
  if (raw === NEGATIVE_MARKER) return { found: true, value: null };
  try {
    return { found: true, value: JSON.parse(raw) as T };
  } catch {
    return { found: false };
  }
}
