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
    now = 999;
    expect(b.isOpen).toBe(true);
    now = 1000;
    expect(b.isOpen).toBe(false);
  });

  it('a success resets the count', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    expect(b.isOpen).toBe(false);
  });

  it('half-open: one failed trial re-opens at once, one success closes it', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    now = 1000;
    b.recordFailure();
    expect(b.isOpen).toBe(true);
    now = 2000;
    b.recordSuccess();
    b.recordFailure();
    expect(b.isOpen).toBe(false);
  });
});
