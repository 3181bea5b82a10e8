import { coversPage, mergeNewest, newestIds, type TimedSource } from './feed.service.js';
import type { TimelineSlice } from './timeline.store.js';

const e = (id: number, createdAtMs: number) => ({ id, createdAtMs });
const slice = (complete: boolean, ...entries: ReturnType<typeof e>[]): TimedSource => ({
  entries,
  complete,
});
/** A slice as TimelineStore.newest reads it: times only when asked for. */
const read = (complete: boolean, ids: number[], timesMs?: number[]): TimelineSlice => ({
  ids,
  timesMs,
  complete,
  size: ids.length,
});

describe('newestIds', () => {
  it('takes one source as it is, without times', () => {
    expect(newestIds([read(true, [9, 7, 3])], 2)).toEqual([9, 7]);
    expect(newestIds([read(true, [9])], 20)).toEqual([9]);
  });

  it('refuses one trimmed source that ran out before the page did', () => {
    expect(newestIds([read(false, [9, 7])], 3)).toBeNull();
    expect(newestIds([read(false, [9, 7])], 2)).toEqual([9, 7]);
  });

  it('merges several sources by their times', () => {
    expect(newestIds([read(true, [5, 3], [300, 100]), read(true, [9, 1], [200, 50])], 3)).toEqual([
      5, 9, 3,
    ]);
  });

  it('will not merge a source read without times (it would order the page wrongly)', () => {
    expect(() => newestIds([read(true, [5, 3]), read(true, [9], [200])], 3)).toThrow(/times/);
  });
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
    const merged = mergeNewest([slice(true, e(3, 3), e(2, 2)), slice(true, e(1, 1))], 2);
    expect(merged.map((x) => x.id)).toEqual([3, 2]);
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
