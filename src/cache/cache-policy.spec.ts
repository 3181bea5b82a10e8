import { decodeEntry, encodeEntry, NEGATIVE_MARKER, ttlWithJitterMs } from './cache-policy.js';

describe('ttlWithJitterMs', () => {
  it('adds between 0 and the full jitter to the base', () => {
    expect(ttlWithJitterMs(7200, 600, () => 0)).toBe(7_200_000);
    expect(ttlWithJitterMs(7200, 600, () => 0.5)).toBe(7_500_000);
    expect(ttlWithJitterMs(7200, 600, () => 0.999999)).toBeLessThanOrEqual(7_800_000);
  });

  it('spreads entries written together over the jitter window', () => {
    const ttls = new Set(Array.from({ length: 50 }, () => ttlWithJitterMs(300, 60)));
    expect(ttls.size).toBeGreaterThan(40);
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThanOrEqual(300_000);
      expect(ttl).toBeLessThanOrEqual(360_000);
    }
  });
});

describe('entry encoding', () => {
  it('round-trips values and marks missing rows', () => {
    expect(decodeEntry(encodeEntry({ a: 1 }))).toEqual({ found: true, value: { a: 1 } });
    expect(encodeEntry(null)).toBe(NEGATIVE_MARKER);
    expect(decodeEntry(NEGATIVE_MARKER)).toEqual({ found: true, value: null });
  });

  it('treats absent and corrupt entries as not cached', () => {
    expect(decodeEntry(null)).toEqual({ found: false });
    expect(decodeEntry('{not json')).toEqual({ found: false });
  });
});
