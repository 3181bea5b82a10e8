import { Reservoir } from './reservoir.js';

describe('Reservoir', () => {
  it('keeps everything while the stream is shorter than the sample', () => {
    const sample = new Reservoir<number>(5);
    sample.offer([1, 2]);
    sample.offer([3]);
    expect([...sample.items]).toEqual([1, 2, 3]);
  });

  it('keeps at most `size` items, each one of those offered, no duplicates', () => {
    const sample = new Reservoir<number>(10);
    for (let i = 0; i < 100; i++) sample.offer([i * 3, i * 3 + 1, i * 3 + 2]);
    expect(sample.items).toHaveLength(10);
    expect(new Set(sample.items).size).toBe(10);
    for (const item of sample.items) expect(item).toBeLessThan(300);
  });

  it('replaces a kept item when the draw falls inside the sample, else keeps it', () => {
    const draws = [0.1, 0.9];
    const sample = new Reservoir<string>(2, () => draws.shift()!);
    sample.offer(['a', 'b', 'c', 'd']);
    // c: seen 3, slot floor(0.1 * 3) = 0 replaces a; d: seen 4, slot floor(0.9 * 4) = 3 skipped.
    expect([...sample.items]).toEqual(['c', 'b']);
  });

  it('a size of 0 keeps nothing', () => {
    const sample = new Reservoir<number>(0);
    sample.offer([1, 2, 3]);
    expect(sample.items).toHaveLength(0);
  });
});
