import { timelineDrifted } from './timeline-drift.js';

const e = (id: number, createdAtMs = id * 1000) => ({ id, createdAtMs });

describe('timelineDrifted', () => {
  const truth = [e(5), e(4), e(3)];

  it('a complete timeline must hold exactly the scope', () => {
    expect(timelineDrifted({ entries: [e(5), e(4), e(3)], complete: true }, truth, 10)).toBe(false);
    expect(timelineDrifted({ entries: [e(5), e(3)], complete: true }, truth, 10)).toBe(true);
    expect(timelineDrifted({ entries: [e(5), e(4), e(3), e(2)], complete: true }, truth, 10)).toBe(
      true,
    );
    expect(timelineDrifted({ entries: [e(9), e(4), e(3)], complete: true }, truth, 10)).toBe(true);
    expect(timelineDrifted({ entries: [], complete: true }, [], 10)).toBe(false);
  });

  it('a wrong score (creation time) is drift', () => {
    expect(timelineDrifted({ entries: [e(5), e(4, 1), e(3)], complete: true }, truth, 10)).toBe(
      true,
    );
  });

  it('a complete timeline whose scope exceeds the maximum should have been trimmed', () => {
    expect(timelineDrifted({ entries: [e(5), e(4)], complete: true }, truth, 2)).toBe(true);
  });

  it('a trimmed timeline must be the newest prefix of the scope', () => {
    expect(timelineDrifted({ entries: [e(5), e(4)], complete: false }, truth, 2)).toBe(false);
    // Shrunk by a delete below the maximum: still right about what it holds.
    expect(timelineDrifted({ entries: [e(5)], complete: false }, truth, 2)).toBe(false);
    expect(timelineDrifted({ entries: [], complete: false }, truth, 2)).toBe(false);
    expect(timelineDrifted({ entries: [e(5), e(3)], complete: false }, truth, 2)).toBe(true);
    expect(timelineDrifted({ entries: [e(4), e(3)], complete: false }, truth, 2)).toBe(true);
    expect(timelineDrifted({ entries: [e(5), e(4)], complete: false }, [e(5)], 2)).toBe(true);
  });

  it('more entries than the maximum is drift', () => {
    expect(timelineDrifted({ entries: [e(5), e(4), e(3)], complete: false }, truth, 2)).toBe(true);
  });
});
