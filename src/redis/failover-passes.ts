/** Pause before the items a pass could not send are tried again. */
export const PASS_RETRY_MS = 250;

export interface Pass<T> {
  items: T[];
  /** Sends one item to the current master; true once it is applied. Must not throw. */
  send: (item: T) => Promise<boolean>;
  /** Checked before each try of an item: false drops it (its window or hold is over). */
  keepTrying: (item: T) => boolean;
}

/**
 * Work sent to Redis again after a failover (invalidations, queue jobs, job schedulers): the
 * promoted replica may lack what the old master acknowledged. A pass sends its items one by one
 * and tries the refused ones again every PASS_RETRY_MS (the app's clients reach the new master at
 * different moments: the queue's connections reconnect on their own backoff) while `keepTrying`
 * holds. One pass runs at a time: a newer failover, or `stop`, ends the one before at its next
 * item.
 */
export class FailoverPasses<T> {
  /** Bumped by every pass started and by stop: a pass whose number is stale stops. */
  private generation = 0;
  private running: Promise<void> | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Starts a pass; the pass before it stops at its next item. Returns its number. */
  start(pass: Pass<T>): number {
    const generation = ++this.generation;
    const run = async () => {
      await this.running; // one pass at a time
      let pending = pass.items;
      while (pending.length > 0 && this.isCurrent(generation)) {
        const refused: T[] = [];
        for (const item of pending) {
          if (!this.isCurrent(generation)) return;
          if (!pass.keepTrying(item)) continue;
          if (!(await pass.send(item))) refused.push(item);
        }
        pending = refused;
        if (pending.length > 0)
          await new Promise((resolve) => setTimeout(resolve, PASS_RETRY_MS).unref());
      }
    };
    const running: Promise<void> = run().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return generation;
  }

  /**
   * A pass now and a second one `againMs` later, unless a newer pass started meanwhile. The
   * second pass is for what reached the old master after the first: until Sentinel has demoted it,
   * a connection that has not moved yet still writes there, and the master drops it when it
   * becomes a replica (seen in the SENTINEL FAILOVER drills).
   */
  startTwice(pass: () => Pass<T>, againMs: number): void {
    const first = this.start(pass());
    const again = setTimeout(() => {
      this.timers.delete(again);
      if (this.isCurrent(first)) this.start(pass());
    }, againMs);
    again.unref();
    this.timers.add(again);
  }

  /** A running pass stops at its next item; a scheduled second pass is dropped. */
  stop(): void {
    this.generation += 1;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Resolves once no pass is running (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private isCurrent(generation: number): boolean {
    return generation === this.generation;
  }
}
