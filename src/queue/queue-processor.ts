import { hostname } from 'node:os';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Inject, Logger } from '@nestjs/common';
import type { Job, WorkerOptions } from 'bullmq';
import { inBackground } from '../database/query-origin.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { withTimeout } from '../redis/with-timeout.js';

/** How long shutdown waits to learn whether Redis answers the worker. */
const READY_PROBE_MS = 250;
/** Longest a graceful close may take once Redis stops answering during it. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * How long a worker waits after a connection error before it asks for jobs again. BullMQ's default
 * is 15 s: in the failover drills every job (fan-out, views flush) then waited ~15 s more after the
 * queue's connections were back on the new master. One failed command a second per worker while
 * Redis is away costs nothing.
 */
const WORKER_RETRY_DELAY_MS = 1000;

/**
 * How often a worker looks for stalled jobs: active, but their lock (BullMQ's lockDuration, 30 s,
 * renewed by the worker running them) gone. After a failover the promoted replica can hold a job
 * as active whose completion it never received; it runs again only once a check has seen it twice
 * without a lock, i.e. up to 30 s + 2 checks after the failover: 90 s with BullMQ's default of 30 s
 * (a Cluster drill measured 50-85 s), 40 s with 5 s. A check is one Lua call per worker.
 */
const STALLED_CHECK_MS = 5000;

/**
 * The name of this process's workers, `<host>:<pid>`: BullMQ records it on every job it runs
 * (`processedBy`, shown by the board) and in its connections' client names, so one can tell
 * which process ran a job, e.g. that `node dist/worker.js` runs them and not the API.
 */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

/** The options of every `@Processor` (its own, e.g. concurrency, over the app's defaults). */
export function workerOptions(
  options: Omit<WorkerOptions, 'connection'> = {},
): Omit<WorkerOptions, 'connection'> {
  return {
    runRetryDelay: WORKER_RETRY_DELAY_MS,
    stalledInterval: STALLED_CHECK_MS,
    name: WORKER_NAME,
    ...options,
  };
}

/** What shutdown reads of an ioredis client (standalone or Cluster) behind BullMQ's proxy. */
interface ClientStatus {
  status: string;
  /** A Cluster client's node list (its presence is what tells a Cluster client apart). */
  nodes?: unknown;
}

/**
 * Whether BullMQ's graceful close can end on this blocking connection: it disconnects it and
 * waits for `end`. An ioredis Cluster emits `end` only when its last node connection ends after
 * leaving its pool, which it does not in several states a failover leaves behind (no node; only
 * lazy nodes that never connected; and at least one more the drills hit but did not pin down).
 * So a Cluster worker is closed at once (force), as when Redis does not answer: its running job,
 * if any, is taken again once its lock expires (jobs are idempotent).
 */
export function blockingConnectionClosable(client: ClientStatus | undefined): boolean {
  if (!client) return true;
  return client.status === 'ready' && typeof client.nodes !== 'function';
}

async function settledOrUndefined<T>(pending: Promise<T> | undefined): Promise<T | undefined> {
  if (!pending) return undefined;
  return withTimeout(pending, READY_PROBE_MS).catch(() => undefined);
}

/**
 * Base of the app's processors: `handle(job)` does the work; this measures each attempt
 * (queue_job_duration_seconds) and counts the ones that throw (queue_job_failures_total).
 * A throw makes BullMQ retry with the queue's backoff until attempts run out.
 */
export abstract class QueueProcessor<Data = unknown, Result = unknown>
  extends WorkerHost
  implements BeforeApplicationShutdown
{
  @Inject(MetricsService) private readonly metrics!: MetricsService;
  private readonly logger = new Logger(this.constructor.name);

  /** The job names this processor runs; any other fails (and is kept in the failed set). */
  protected abstract readonly jobNames: readonly string[];

  abstract handle(job: Job<Data, Result>): Promise<Result>;

  async process(job: Job<Data, Result>): Promise<Result> {
    const stop = this.metrics.queueJobDuration.startTimer({ queue: job.queueName, job: job.name });
    try {
      if (!this.jobNames.includes(job.name)) {
        throw new Error(`${job.queueName} has no job named "${job.name}"`);
      }
      // A job's SQL is background work (db_queries_total{origin="background"}), not a request's.
      const result = await inBackground(() => this.handle(job));
      stop({ outcome: 'completed' });
      return result;
    } catch (error) {
      stop({ outcome: 'failed' });
      this.metrics.queueJobFailures.inc({ queue: job.queueName, job: job.name });
      throw error;
    }
  }

  /**
   * A Worker's connection errors and lost jobs (their keys deleted under it) arrive as `error`
   * events: without a listener Node would throw them and end the process.
   */
  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.logger.warn(`worker ${this.worker.name}: ${error.message}`);
  }

  /**
   * Closes the worker before @nestjs/bullmq does: gracefully (the running job finishes) when Redis
   * answers and the blocking connection can be closed; at once otherwise, since BullMQ's graceful
   * close would wait for a connection forever (and keep the process, or Jest, from exiting). A
   * job that had started is taken again by the next worker once its lock expires. Should Redis
   * vanish during a graceful close, the connections are cut after SHUTDOWN_GRACE_MS.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    const backend = worker.getBackend();
    const answers = await withTimeout(
      backend.client.then((client) => client.info()),
      READY_PROBE_MS,
    ).then(
      () => true,
      () => false,
    );
    if (!answers || !blockingConnectionClosable(await settledOrUndefined(backend.blockingClient))) {
      return worker.close(true);
    }
    const closing = worker.close();
    try {
      await withTimeout(closing, SHUTDOWN_GRACE_MS);
    } catch {
      this.logger.warn(`worker ${worker.name}: Redis lost during shutdown, connections cut`);
      // Bounded too: a Cluster connection whose node pool is already empty never reports `end`.
      await withTimeout(backend.disconnect(), READY_PROBE_MS).catch(() => undefined);
      await withTimeout(closing, READY_PROBE_MS).catch(() => undefined);
    }
  }
}
