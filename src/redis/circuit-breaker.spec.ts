import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker(3, 1000, () => now);

  beforeEach(() => (now = 0));

  it('opens after the threshold of consecutive failures, for openMs', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    expect(b.isOpen).toBe(false);
    b.recordFailure();
    expect(b.isOpen).toBe(true);
    expect(b.admit()).toBe(false);
    now = 999;
    expect(b.isOpen).toBe(true);
    now = 1000;
    expect(b.isOpen).toBe(false);
  });

  it('opens after two timeouts in a row; a lone timeout among successes does not', () => {
    const b = breaker();
    b.recordFailure(true);
    expect(b.isOpen).toBe(false);
    b.recordSuccess();
    b.recordFailure(true);
    expect(b.isOpen).toBe(false);
    b.recordFailure(true);
    expect(b.isOpen).toBe(true);
    expect(b.admit()).toBe(false);
  });

  it('a success resets the count', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    expect(b.isOpen).toBe(false);
    expect(b.healthy).toBe(false);
    b.recordSuccess();
    expect(b.healthy).toBe(true);
  });

  it('half-open: admits one trial at a time; a failed trial re-opens, a success closes', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    now = 1000;
    expect(b.admit()).toBe(true); // the trial
    expect(b.admit()).toBe(false); // everyone else waits for its outcome
    expect(b.isOpen).toBe(true);
    b.recordFailure();
    expect(b.isOpen).toBe(true);
    now = 2000;
    expect(b.admit()).toBe(true);
    b.recordSuccess();
    expect(b.admit()).toBe(true);
    expect(b.admit()).toBe(true);
    b.recordFailure();
    expect(b.isOpen).toBe(false);
  });

  it('a trial that never reports back frees the half-open state after openMs', () => {
    const b = breaker();
    b.recordFailure(true);
    b.recordFailure(true);
    now = 1000;
    expect(b.admit()).toBe(true);
    now = 1999;
    expect(b.admit()).toBe(false);
    now = 2000;
    expect(b.admit()).toBe(true);
  });
});
