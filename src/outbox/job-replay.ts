import { RecentWrites } from '../cache/recent-writes.js';
import type { OutboxJob } from './write-effects.js';

/** Jobs handed to the queue again per dispatch call. */
const REPLAY_CHUNK = 500;
/** Pause before a chunk the queue did not accept is handed again. */
const REPLAY_RETRY_MS = 250;
/**
 * The second pass after a failover. Until Sentinel has demoted the old master, a queue connection
 * that has not moved yet can still hand it jobs, which it accepts and drops when it becomes a
 * replica (seen in the SENTINEL FAILOVER drills): the second pass hands those again too.
 */
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
  /** Bumped by every failover: passes still retrying for an older one stop. */
  private failovers = 0;
  private replaying: Promise<void> | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

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

  /** After a failover: hands every recent job over again now, and once more REPLAY_AGAIN_MS later. */
  failedOver(): void {
    const failover = ++this.failovers;
    this.pass(failover);
    const again = setTimeout(() => {
      this.timers.delete(again);
      if (failover === this.failovers) this.pass(failover);
    }, REPLAY_AGAIN_MS);
    again.unref();
    this.timers.add(again);
  }

  /** Passes still retrying stop at their next chunk; a scheduled second pass is dropped. */
  stop(): void {
    this.failovers += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Resolves once no pass is running (tests, shutdown). */
  async replayed(): Promise<void> {
    while (this.replaying) await this.replaying;
  }

  /** One pass: every recent job, chunk by chunk, a refused chunk retried while in the window. */
  private pass(failover: number): void {
    const jobs = this.recent();
    if (jobs.length === 0) return;
    const run = async () => {
      await this.replaying; // one pass at a time
      let pending: OutboxJob[][] = [];
      for (let i = 0; i < jobs.length; i += REPLAY_CHUNK)
        pending.push(jobs.slice(i, i + REPLAY_CHUNK));
      const deadline = Date.now() + this.windowMs;
      while (pending.length > 0 && failover === this.failovers && Date.now() < deadline) {
        const refused: OutboxJob[][] = [];
        for (const chunk of pending) {
          if (failover !== this.failovers) return;
          if (!(await this.dispatch(chunk))) refused.push(chunk);
        }
        pending = refused;
        if (pending.length > 0)
          await new Promise((resolve) => setTimeout(resolve, REPLAY_RETRY_MS).unref());
      }
    };
    const running: Promise<void> = run().finally(() => {
      if (this.replaying === running) this.replaying = undefined;
    });
    this.replaying = running;
  }
}
