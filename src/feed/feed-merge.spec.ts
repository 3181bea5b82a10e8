import { coversPage, mergeNewest } from './feed.service.js';
import type { TimelineSlice } from './timeline.store.js';

const e = (id: number, createdAtMs: number) => ({ id, createdAtMs });
const slice = (complete: boolean, ...entries: ReturnType<typeof e>[]): TimelineSlice => ({
  entries,
  complete,
  size: entries.length,
});

describe('mergeNewest', () => {
  it('orders by time, then id descending (the SQL order), each article once', () => {
    const merged = mergeNewest(
      [slice(true, e(5, 300), e(3, 100)), slice(true, e(9, 100), e(5, 300), e(1, 50))],
      10,
    );
    expect(merged.map((x) => x.id)).toEqual([5, 9, 3, 1]);
  });

  it('keeps only the newest `count`', () => {
    expect(mergeNewest([slice(true, e(3, 3), e(2, 2), e(1, 1))], 2).map((x) => x.id)).toEqual([
      3, 2,
    ]);
  });
});

describe('coversPage', () => {
  it('accepts short sources that are complete', () => {
    const sources = [slice(true, e(2, 2)), slice(true, e(1, 1))];
    expect(coversPage(sources, mergeNewest(sources, 20), 20)).toBe(true);
  });

  it('accepts a trimmed source that returned the whole page', () => {
    const sources = [slice(false, e(3, 3), e(2, 2)), slice(true, e(1, 1))];
    expect(coversPage(sources, mergeNewest(sources, 2), 2)).toBe(true);
  });

  it('refuses a page reaching below the oldest entry of a short trimmed source', () => {
    const trimmed = slice(false, e(5, 50));
    const other = slice(true, e(4, 40), e(3, 30), e(2, 20));
    expect(coversPage([trimmed, other], mergeNewest([trimmed, other], 3), 3)).toBe(false);
    // A page ending at or above that oldest entry is exact.
    expect(coversPage([trimmed, other], mergeNewest([trimmed, other], 1), 1)).toBe(true);
  });

  it('refuses a page longer than what a trimmed source and the rest hold', () => {
    const sources = [slice(false, e(2, 2)), slice(true)];
    expect(coversPage(sources, mergeNewest(sources, 5), 5)).toBe(false);
  });
});
