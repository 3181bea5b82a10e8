/**
 * Stops sending commands to a Redis that keeps failing or stops answering. The circuit opens for
 * `openMs` (callers go straight to Postgres) after `threshold` failures in a row, where a timeout
 * weighs half the threshold: two timeouts in a row open it (a frozen server costs a request at
 * most two budgets), while a single slow reply among successes does not send a busy app's reads
 * to Postgres. Errors are cheap (a disconnected client fails at once), timeouts cost every caller
 * the whole budget, hence the weight. Once `openMs` has passed the circuit is
 * half-open: ONE caller is let through as a trial (the others keep skipping Redis) and its outcome
 * closes or re-opens the circuit. A disconnected client is skipped by the caller without counting:
 * node-redis already fails those commands at once because its offline queue is off.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;
  /** While half-open: until when the one trial call may take (a lost trial cannot wedge it). */
  private trialUntil = 0;

  constructor(
    private readonly threshold = 5,
    private readonly openMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while calls should skip Redis (open, or half-open with a trial in flight). */
  get isOpen(): boolean {
    if (this.openUntil === 0) return false;
    const now = this.now();
    return now < this.openUntil || now < this.trialUntil;
  }

  /**
   * Whether this call may go to Redis. Closed: yes. Open: no. Half-open: yes for the first caller
   * (the trial), which must then report its outcome; no for the others until it has.
   */
  admit(): boolean {
    if (this.openUntil === 0) return true;
    const now = this.now();
    if (now < this.openUntil || now < this.trialUntil) return false;
    this.trialUntil = now + this.openMs;
    return true;
  }

  recordSuccess(): void {
    if (this.consecutiveFailures === 0 && this.openUntil === 0) return;
    this.consecutiveFailures = 0;
    this.openUntil = 0;
    this.trialUntil = 0;
  }

  /** A failed call; a timeout weighs half the threshold (see the class comment). */
  recordFailure(timedOut = false): void {
    this.consecutiveFailures += timedOut ? Math.ceil(this.threshold / 2) : 1;
    if (this.consecutiveFailures >= this.threshold) this.open();
  }

  /** True when the circuit is closed and nothing failed since the last success. */
  get healthy(): boolean {
    return this.consecutiveFailures === 0 && this.openUntil === 0;
  }

  private open(): void {
    this.openUntil = this.now() + this.openMs;
    this.trialUntil = 0;
    // Half-open: one more failure of the trial re-opens at once.
    this.consecutiveFailures = this.threshold - 1;
  }
}
