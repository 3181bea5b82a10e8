/**
 * Stops sending commands to a Redis that keeps failing or timing out: after `threshold` failures in
 * a row the circuit opens for `openMs` (callers go straight to Postgres), then one trial request
 * decides whether it closes again. A disconnected client is skipped without counting: node-redis
 * already fails those commands at once because its offline queue is off.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;

  constructor(
    private readonly threshold = 5,
    private readonly openMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while calls should skip Redis. */
  get isOpen(): boolean {
    return this.now() < this.openUntil;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.openUntil = 0;
  }

  recordFailure(): void {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.threshold) {
      this.openUntil = this.now() + this.openMs;
      // Half-open: the first call after `openMs` is the trial; one more failure re-opens at once.
      this.consecutiveFailures = this.threshold - 1;
    }
  }
}
