import { RecentWrites } from './recent-writes.js';

describe('RecentWrites', () => {
  it('keeps the keys written within the window, once each, oldest first', () => {
    const recent = new RecentWrites(1000);
    recent.record(['a', 'b'], 0);
    recent.record(['c'], 500);
    recent.record(['a'], 900);
    expect(recent.since(1000)).toEqual(['b', 'c', 'a']);
    expect(recent.since(1600)).toEqual(['a']);
    expect(recent.since(2000)).toEqual([]);
  });

  it('remembers nothing with a zero window', () => {
    const recent = new RecentWrites(0);
    recent.record(['a'], 0);
    expect(recent.since(0)).toEqual([]);
  });
});
