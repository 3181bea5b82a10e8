/** A Redis read that took longer than the configured budget; the caller falls back to Postgres. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

/**
 * Bounds a Redis call. We do not use node-redis' own per-command timeout: it arms an
 * AbortSignal.timeout that cannot be cancelled, so every command leaves a timer (and, when it
 * fires, a DOMException) alive for the whole timeout. Under load that promoted ~100 MB/10 s to the
 * old generation and caused 100-200 ms mark-compact pauses. This timer is cleared on completion.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    // Expired timers run before the event loop polls for I/O: after the loop was blocked longer
    // than `ms` (a saturated process), a reply already sitting in the socket would lose to the
    // timer. setImmediate runs after that poll, so only a reply that truly has not come times out.
    timer = setTimeout(() => setImmediate(() => reject(new RedisTimeoutError(ms))), ms);
  });
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
}
