import {
  diffBatch,
  addRemoved,
  formatReport,
  hashState,
  noCorrections,
} from './reconciliation-report.js';

describe('reconciliation diff', () => {
  it('counts added and changed entries and the largest difference; skips zero counts', () => {
    const c = noCorrections();
    const truth = new Map([
      [1, 5], // correct
      [2, 3], // missing on the board -> added
      [3, 10], // wrong (was 4) -> changed by 6
      [4, 0], // zero: left to the removal sweep
    ]);
    diffBatch(c, [1, 2, 3, 4, 5], truth, [5, null, 4, 7, null]);
    expect(c).toEqual({ added: 1, changed: 1, removed: 0, largestDifference: 6 });
  });

  it('adds the removed members of a sweep step and keeps the largest difference', () => {
    const c = noCorrections();
    c.largestDifference = 4;
    addRemoved(c, 0, 99); // nothing removed: the score is not a difference
    addRemoved(c, 2, -12);
    addRemoved(c, 1, 3);
    expect(c).toEqual({ added: 0, changed: 0, removed: 3, largestDifference: 12 });
  });

  it('classifies a count hash as ok, missing or wrong', () => {
    expect(hashState({ followers: '2', following: '0' }, { followers: 2, following: 0 })).toBe(
      'ok',
    );
    expect(hashState({}, { followers: 2 })).toBe('missing');
    expect(hashState({ followers: '3' }, { followers: 2 })).toBe('wrong');
    expect(hashState({ followers: '2' }, { followers: 2, following: 0 })).toBe('wrong');
  });

  it('formats the report as a table', () => {
    const text = formatReport({
      startedAt: 'S',
      finishedAt: 'F',
      durationMs: 12,
      usersScanned: 3,
      hashes: { created: 1, corrected: 0 },
      metrics: { followers: { added: 1, changed: 2, removed: 3, largestDifference: 40 } },
      timelines: { checked: 7, drifted: 2 },
    });
    expect(text.split('\n')).toEqual([
      'reconciliation S -> F (12 ms), 3 users scanned, hashes created 1, corrected 0, ' +
        'timelines checked 7, drifted (dropped) 2',
      'metric     added  changed  removed  largest diff',
      'followers      1        2        3            40',
    ]);
  });
});
