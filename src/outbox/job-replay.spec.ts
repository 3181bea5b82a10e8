import { jest } from '@jest/globals';
import { JobReplay, REPLAY_AGAIN_MS } from './job-replay.js';
import type { OutboxJob } from './write-effects.js';

const job = (id: string): OutboxJob => ({
  kind: 'timeline',
  name: 'article-created',
  data: { articleId: Number(id.split('-')[0]) },
  id,
});

describe('JobReplay', () => {
  let handed: OutboxJob[][];
  let accept: boolean[];
  let sut: JobReplay;

  beforeEach(() => {
    handed = [];
    accept = [];
    sut = new JobReplay(60_000, (jobs) => {
      handed.push(jobs);
      return Promise.resolve(accept.shift() ?? true);
    });
  });
  afterEach(() => sut.stop());

  it('keeps the jobs handed over within the window, oldest first, each id once', () => {
    sut.record([job('1-0'), job('2-0')], 1_000);
    sut.record([job('3-0')], 2_000);
    sut.record([job('1-0')], 3_000); // the relay enqueued it again: now the newest
    expect(sut.recent(3_000).map((j) => j.id)).toEqual(['2-0', '3-0', '1-0']);
    expect(sut.recent(62_500).map((j) => j.id)).toEqual(['1-0']); // 2-0 and 3-0 are too old
  });

  it('does not keep jobs without an id, nor anything with a zero window', () => {
    sut.record([{ ...job('1-0'), id: undefined }]);
    expect(sut.recent()).toEqual([]);
    const off = new JobReplay(0, () => Promise.resolve(true));
    off.record([job('1-0')]);
    expect(off.recent()).toEqual([]);
  });

  it('after a failover hands every recent job over again, then once more later', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      sut.record([job('1-0'), job('2-0')]);
      sut.failedOver();
      await sut.replayed();
      expect(handed).toEqual([[job('1-0'), job('2-0')]]);
      // A job handed to a queue connection that still pointed at the old master meanwhile.
      sut.record([job('3-0')]);
      await jest.advanceTimersByTimeAsync(REPLAY_AGAIN_MS);
      await sut.replayed();
      expect(handed[1].map((j) => j.id)).toEqual(['1-0', '2-0', '3-0']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('hands a refused chunk over again until the queue accepts it', async () => {
    accept = [false, false, true];
    sut.record([job('1-0')]);
    sut.failedOver();
    await sut.replayed();
    expect(handed).toHaveLength(3);
    expect(handed.every((jobs) => jobs[0].id === '1-0')).toBe(true);
  });

  it('stops retrying for an older failover once a newer one starts its own pass', async () => {
    accept = [false];
    sut.record([job('1-0')]);
    sut.failedOver(); // refused once, then waits to retry
    sut.failedOver(); // the newer pass runs after it; the older one gives up
    await sut.replayed();
    expect(handed.map((jobs) => jobs.map((j) => j.id))).toEqual([['1-0'], ['1-0']]);
  });

  it('does nothing after stop, not even the scheduled second pass', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      sut.record([job('1-0')]);
      sut.failedOver();
      await sut.replayed();
      sut.stop();
      await jest.advanceTimersByTimeAsync(REPLAY_AGAIN_MS * 2);
      await sut.replayed();
      expect(handed).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
