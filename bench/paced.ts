import { readFileSync } from 'node:fs';
import net from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { LoadRequest, LoadResult } from './load.js';

/** What the generator itself did during a paced run: whether its figures are the app's. */
export interface GeneratorStats {
  /** How late the generator issued requests after their due time, in ms. */
  sendLagP99: number;
  sendLagMax: number;
  /** This process's event-loop delay over the run (perf_hooks), in ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** This process's CPU time over the run, as a share of one core (%). */
  cpuPercent: number;
  /** Connections opened over the run. */
  connections: number;
  /**
   * Share of the run's wall time in which some task on the machine waited for a CPU (Linux PSI,
   * /proc/pressure/cpu "some"; undefined where absent): the machine, neither app nor generator.
   */
  machineCpuPressurePercent?: number;
}

/** Linux PSI: total µs in which some task waited for a CPU; undefined without /proc/pressure. */
function cpuPressureMicros(): number | undefined {
  try {
    const match = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface PacedResult extends LoadResult {
  generator: GeneratorStats;
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate, whatever happened to the
 * previous ones, and its latency counts from its due time (so a stalled server or a late generator
 * shows up in the figures instead of being hidden, i.e. no coordinated omission). autocannon's own
 * rate limit sends each connection's quota in a burst at the top of every second, which measures
 * the burst rather than the load. With `signal`, sending stops when it aborts (`seconds` is then
 * the most it runs): a background load that lasts as long as the measurement beside it.
 *
 * The client is raw keep-alive sockets (node:net) with a minimal HTTP/1.1 response reader, not
 * node:http: on the bench's 2 cores node:http cost ~55-65 µs of CPU per request, more than the
 * constant route costs the app (~45 µs), and its event loop stalls put tens of ms on the constant
 * route's p99. This one costs a fraction of that. What the generator itself did (how late it sent,
 * its event-loop delay and CPU) comes back in `generator`, so a reader can tell a slow app from a
 * slow generator. One request at a time per connection (no pipelining), at most `maxSockets`
 * connections; a request due while all are busy waits for one, its latency still counting from
 * its due time. Errors: answers with status >= 400, and requests lost to socket errors or closes.
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
): Promise<PacedResult> {
  const url = new URL(baseUrl);
  const host = url.hostname;
  const port = Number(url.port || 80);
  const hostHeader = `Host: ${url.host}\r\n`;
  const maxSockets = options.maxSockets ?? 64;
  const latencies: number[] = [];
  const sendLags: number[] = [];
  let errors = 0;
  // Requests due during the warm-up are sent but not recorded (connections opening, JIT).
  const warmup = Math.round(options.rate * (options.warmupSeconds ?? 1));
  const total = warmup + Math.max(1, Math.round(options.rate * options.seconds));
  const interval = 1000 / options.rate;

  interface Job {
    due: number;
    record: boolean;
    bytes: string;
  }
  const readBuffer = Buffer.allocUnsafe(64 * 1024);
  const waiting: Job[] = [];
  const idle: Connection[] = [];
  let open = 0;
  let opened = 0;
  let inFlight = 0;
  let allSent = false;
  let drained: (() => void) | undefined;

  const finish = (job: Job, failed: boolean) => {
    if (job.record) {
      latencies.push(performance.now() - job.due);
      if (failed) errors += 1;
    }
    inFlight -= 1;
    if (allSent && inFlight === 0) drained?.();
  };

  /** One keep-alive connection, one request in flight at a time. */
  class Connection {
    readonly socket: net.Socket;
    job: Job | undefined;
    /** Unparsed bytes of the current response. */
    buffer: Buffer | undefined;
    /** Body bytes still expected once the head is read; -1 while the head is incomplete. */
    remaining = -1;
    status = 0;
    closeAfter = false;
    dead = false;

    constructor() {
      open += 1;
      opened += 1;
      this.socket = net.connect({
        host,
        port,
        noDelay: true,
        // Reads land in one buffer shared by every connection instead of a new 64 KB buffer per
        // read: that external memory made this process run a full GC every second or two.
        onread: {
          buffer: readBuffer,
          callback: (bytes) => {
            this.read(bytes);
            return true; // keep reading
          },
        },
      });
      this.socket.on('error', () => this.die());
      this.socket.on('close', () => this.die());
    }

    send(job: Job): void {
      this.job = job;
      this.buffer = undefined;
      this.remaining = -1;
      this.socket.write(job.bytes, 'latin1');
    }

    /** `bytes` bytes read into the shared `readBuffer`: parsed now, or copied to wait for more. */
    read(bytes: number): void {
      const job = this.job;
      if (!job) {
        this.socket.destroy(); // bytes nobody asked for: the stream is out of step
        return;
      }
      const chunk = readBuffer.subarray(0, bytes);
      let data = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
      if (this.remaining < 0) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) {
          this.buffer = Buffer.from(data);
          return;
        }
        // "HTTP/1.1 200 OK": the status is bytes 9-11.
        this.status = (data[9] - 48) * 100 + (data[10] - 48) * 10 + (data[11] - 48);
        const head = data.toString('latin1', 0, end).toLowerCase();
        const length = /\r\ncontent-length: *(\d+)/.exec(head);
        this.closeAfter = head.includes('\r\nconnection: close');
        if (length) this.remaining = Number(length[1]);
        else if (this.status === 204 || this.status === 304) this.remaining = 0;
        else {
          // Fastify answers with Content-Length; anything else (chunked, read-until-close) is
          // not what this reader handles: count it as an error and drop the connection.
          this.status = 599;
          this.closeAfter = true;
          this.remaining = 0;
        }
        data = data.subarray(end + 4);
      }
      if (data.length < this.remaining) {
        this.buffer = Buffer.from(data);
        return;
      }
      if (data.length > this.remaining) {
        this.socket.destroy(); // more than one answer
        return;
      }
      this.job = undefined;
      this.buffer = undefined;
      finish(job, this.status >= 400);
      if (this.closeAfter) this.socket.destroy();
      else release(this);
    }

    die(): void {
      if (this.dead) return;
      this.dead = true;
      open -= 1;
      this.socket.destroy();
      const index = idle.indexOf(this);
      if (index >= 0) idle.splice(index, 1);
      const job = this.job;
      this.job = undefined;
      if (job) finish(job, true);
      // A request waiting for a connection gets a new one in place of this.
      const waiter = waiting.shift();
      if (waiter) dispatch(waiter);
    }
  }

  const release = (connection: Connection) => {
    const job = waiting.shift();
    if (job) connection.send(job);
    else idle.push(connection); // last in, first out: the busiest connections stay warm
  };

  const dispatch = (job: Job) => {
    const connection = idle.pop() ?? (open < maxSockets ? new Connection() : undefined);
    if (connection) connection.send(job);
    else waiting.push(job);
  };

  const requestBytes = (pick: LoadRequest): string => {
    const method = pick.method ?? 'GET';
    return (
      `${method} ${pick.path} HTTP/1.1\r\n${hostHeader}` +
      (pick.token ? `Authorization: Token ${pick.token}\r\n` : '') +
      (method === 'GET' ? '' : 'Content-Length: 0\r\n') +
      '\r\n'
    );
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const pressureBefore = cpuPressureMicros();
  const start = performance.now();
  let sent = 0;
  while (sent < total && !options.signal?.aborted) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now && !options.signal?.aborted) {
      const due = start + sent * interval;
      const record = sent >= warmup;
      // The generator's own lateness: how long after its due time a request was handed to a
      // connection (a request then waiting for a free connection waits for the app, not for this).
      if (record) sendLags.push(now - due);
      inFlight += 1;
      dispatch({ due, record, bytes: requestBytes(next()) });
      sent += 1;
    }
    // Sleep until the next request is due (timers have 1 ms granularity).
    const wait = start + sent * interval - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  allSent = true;
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const pressureAfter = cpuPressureMicros();
  loopDelay.disable();
  for (const connection of idle) connection.socket.destroy();
  const elapsed = wall / 1000 - warmup / options.rate;
  const at = (values: number[], q: number) =>
    Number((values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0).toFixed(1));
  latencies.sort((a, b) => a - b);
  sendLags.sort((a, b) => a - b);
  const ms = (ns: number) => Number((ns / 1e6).toFixed(1));
  return {
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p50: at(latencies, 0.5),
    p99: at(latencies, 0.99),
    errors,
    total: latencies.length,
    generator: {
      sendLagP99: at(sendLags, 0.99),
      sendLagMax: at(sendLags, 1),
      loopDelayP99: ms(loopDelay.percentile(99)),
      loopDelayMax: ms(loopDelay.max),
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100),
      connections: opened,
      machineCpuPressurePercent:
        pressureBefore === undefined || pressureAfter === undefined
          ? undefined
          : Math.round((pressureAfter - pressureBefore) / 10 / wall),
    },
  };
}
