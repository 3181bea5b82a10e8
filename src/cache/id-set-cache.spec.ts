import { jest } from '@jest/globals';
import { currentQueryOrigin } from '../database/query-origin.js';
import type { CacheAsideService } from './cache-aside.service.js';
import type { CachePolicy } from './cache-policy.js';
import { IdSetCache } from './id-set-cache.js';

const POLICY = { name: 'ids' } as CachePolicy;

function fakeCache(held: Map<string, number[] | null>, usable = true) {
  return {
    usable,
    peek: jest.fn((key: string) => held.get(key)),
    get: jest.fn(async (_key: string, load: () => Promise<unknown>) => load()),
  };
}

/** The class under test over a fake cache, keyed `ids:<user>`. */
const idSetCache = (cache: ReturnType<typeof fakeCache>) =>
  new IdSetCache(cache as unknown as CacheAsideService, POLICY, (id) => `ids:${id}`);

describe('IdSetCache', () => {
  it('gives one shared set per entry the tier holds, null for a declined list, undefined for none', () => {
    const ids = [3, 5];
    const held = new Map<string, number[] | null>([
      ['ids:1', ids],
      ['ids:2', null],
    ]);
    const sut = idSetCache(fakeCache(held));
    const first = sut.heldSet(1);
    expect(first && [...first]).toEqual([3, 5]);
    expect(sut.heldSet(1)).toBe(first);
    expect(sut.heldSet(2)).toBeNull();
    expect(sut.heldSet(3)).toBeUndefined();
  });

  it('warms through the cache only while the tiers can keep what it loads', () => {
    const load = jest.fn(() => Promise.resolve([1]));
    const usable = fakeCache(new Map());
    idSetCache(usable).warm(7, load);
    expect(usable.get).toHaveBeenCalledWith('ids:7', load, POLICY);

    const unusable = fakeCache(new Map(), false);
    idSetCache(unusable).warm(7, load);
    expect(unusable.get).not.toHaveBeenCalled();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('runs the load as background work (its SQL is not the calling request’s)', () => {
    let origin: string | undefined;
    idSetCache(fakeCache(new Map())).warm(1, () => {
      origin = currentQueryOrigin();
      return Promise.resolve([]);
    });
    expect(origin).toBe('background');
    expect(currentQueryOrigin()).toBe('request');
  });

  it('swallows a failed background load', async () => {
    const cache = fakeCache(new Map());
    cache.get.mockRejectedValueOnce(new Error('Redis is gone'));
    idSetCache(cache).warm(1, () => Promise.resolve([]));
    await new Promise((resolve) => setImmediate(resolve)); // an unhandled rejection would fail the run
  });
});
