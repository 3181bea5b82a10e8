import { expect } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import type { Response } from 'supertest';

/**
 * Times requests in fault tests: each must answer within `boundMs`, and the measurements can be
 * printed for the record (FAULT_TIMINGS=1 npm test -- --testPathPatterns <spec>).
 */
export class RouteTimer {
  private readonly timings: [name: string, status: number, ms: number][] = [];

  constructor(private readonly boundMs: number) {}

  async timed(name: string, send: () => Promise<Response>): Promise<Response> {
    const started = performance.now();
    const response = await send();
    this.record(name, response.status, performance.now() - started);
    return response;
  }

  /** Records a measurement and checks it against the bound. */
  record(name: string, status: number, elapsedMs: number): void {
    this.timings.push([name, status, Math.round(elapsedMs)]);
    expect(elapsedMs).toBeLessThan(this.boundMs);
  }

  printIfAsked(): void {
    if (!process.env.FAULT_TIMINGS) return;
    console.log(
      this.timings
        .map(([name, status, ms]) => `${String(ms).padStart(5)} ms  ${status}  ${name}`)
        .join('\n'),
    );
  }
}
