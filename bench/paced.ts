import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadRequest, LoadResult } from './load.js';

/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate, whatever happened to the
 * previous ones, and its latency counts from its due time (so a stalled server or a late generator
 * shows up in the figures instead of being hidden, i.e. no coordinated omission). autocannon's own
 * rate limit sends each connection's quota in a burst at the top of every second, which measures
 * the burst rather than the load. With `signal`, sending stops when it aborts (`seconds` is then
 * the most it runs): a background load that lasts as long as the measurement beside it.
 */
export async function paced(
  baseUrl: string,
  next: () => LoadRequest,
  options: {
    rate: number;
    seconds: number;
    maxSockets?: number;
    warmupSeconds?: number;
    signal?: AbortSignal;
  },
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const latencies: number[] = [];
  let errors = 0;
  // Requests due during the warm-up are sent but not recorded (connections opening, JIT).
  const warmup = Math.round(options.rate * (options.warmupSeconds ?? 1));
  const total = warmup + Math.max(1, Math.round(options.rate * options.seconds));
  const interval = 1000 / options.rate;
  const pending: Promise<void>[] = [];

  const fire = (due: number, record: boolean): Promise<void> =>
    new Promise((resolve) => {
      const pick = next();
      const request = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: pick.method ?? 'GET',
          path: pick.path,
          headers: pick.token ? { authorization: `Token ${pick.token}` } : {},
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (record) {
              latencies.push(performance.now() - due);
              if ((response.statusCode ?? 500) >= 400) errors += 1;
            }
            resolve();
          });
        },
      );
      request.on('error', () => {
        if (record) errors += 1;
        resolve();
      });
      request.end();
    });

  const start = performance.now();
  let sent = 0;
  while (sent < total && !options.signal?.aborted) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now && !options.signal?.aborted) {
      pending.push(fire(start + sent * interval, sent >= warmup));
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000 - warmup / options.rate;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Number(
      (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(1),
    );
  return {
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p50: at(0.5),
    p99: at(0.99),
    errors,
    total: latencies.length,
  };
}
