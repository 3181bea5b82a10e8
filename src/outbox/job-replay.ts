import { RecentWrites } from '../cache/recent-writes.js';
import { FailoverPasses } from '../redis/failover-passes.js';
import type { OutboxJob } from './write-effects.js';

/** Jobs handed to the queue again per dispatch call. */
const REPLAY_CHUNK = 500;
/** The second pass after a failover (see FailoverPasses.startTwice). */
export const REPLAY_AGAIN_MS = 5000;

/** Hands jobs to their queues; true when every one was accepted. Must not throw. */
export type Dispatch = (jobs: OutboxJob[]) => Promise<boolean>;

/**
 * The queue jobs this instance handed over (writers and relay alike) within the last `windowMs`,
 * handed over again after a Redis failover. With asynchronous replication the promoted replica may
 * never have received a job the old master acknowledged; the outbox row was confirmed and deleted,
 * so nothing else would enqueue it again. Jobs carry their outbox-derived ids, so a job the new
 * master still holds is not duplicated, and every job is idempotent, so one that completed and was
 * removed may run again harmlessly. Every instance replays its own jobs.
 */
export class JobReplay {
  /** The jobs handed over within the window, by job id. */
  private readonly sent: RecentWrites<OutboxJob>;
  private readonly passes = new FailoverPasses<OutboxJob[]>();

  constructor(
    private readonly windowMs: number,
    private readonly dispatch: Dispatch,
  ) {
    this.sent = new RecentWrites(windowMs, (job) => job.id!);
  }

  /** Remembers jobs just handed over (jobs without an id cannot be told apart: not kept). */
  record(jobs: OutboxJob[], now = Date.now()): void {
    this.sent.record(
      jobs.filter((job) => job.id !== undefined),
      now,
    );
  }

  /** The jobs handed over within the window, oldest first. */
  recent(now = Date.now()): OutboxJob[] {
    return this.sent.since(now);
  }

  /**
   * After a failover: hands every recent job over again now, and once more REPLAY_AGAIN_MS later,
   * in chunks; a refused chunk is handed again while the window lasts.
   */
  failedOver(): void {
    this.passes.startTwice(() => {
      const jobs = this.recent();
      const chunks: OutboxJob[][] = [];
      for (let i = 0; i < jobs.length; i += REPLAY_CHUNK)
        chunks.push(jobs.slice(i, i + REPLAY_CHUNK));
      const deadline = Date.now() + this.windowMs;
      return { items: chunks, send: this.dispatch, keepTrying: () => Date.now() < deadline };
    }, REPLAY_AGAIN_MS);
  }

  /** A pass still retrying stops at its next chunk; a scheduled second pass is dropped. */
  stop(): void {
    this.passes.stop();
  }

  /** Resolves once no pass is running (tests, shutdown). */
  replayed(): Promise<void> {
    return this.passes.settled();
  }
}
