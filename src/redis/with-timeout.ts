/** A Redis read that took longer than the configured budget; the caller falls back to Postgres. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

/**
 * Bounds a Redis read. We do not use node-redis' own per-command timeout: it arms an
 * AbortSignal.timeout that cannot be cancelled, so every command leaves a timer (and, when it
 * fires, a DOMException) alive for the whole timeout. Under load that promoted ~100 MB/10 s to the
 * old generation and caused 100-200 ms mark-compact pauses. This timer is cleared on completion.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms);
  });
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
}
