import { CacheAsideService } from '../cache/cache-aside.service.js';
import { automock, type Mocked } from './automock.js';

/**
 * A cache that is always cold and always reachable: `get` and `getMany` load, invalidations are
 * confirmed, `policy` returns its name and overrides. A test makes it warm with
 * `cache.get.mockResolvedValue(...)` or unreachable with `cache.invalidate.mockResolvedValue(false)`.
 */
export function fakeCacheAside(): Mocked<CacheAsideService> {
  const cache = automock(CacheAsideService);
  cache.get.mockImplementation((_key, load) => load());
  cache.getMany.mockImplementation(async (ids, _keyOf, loadMany) => {
    const loaded = await loadMany(ids);
    return new Map(ids.map((id) => [id, loaded.get(id) ?? null]));
  });
  cache.invalidate.mockResolvedValue(true);
  cache.changedInPlace.mockResolvedValue(undefined);
  cache.policy.mockImplementation((name, overrides = {}) => ({
    name,
    ttlSeconds: 60,
    jitterSeconds: 0,
    negativeTtlSeconds: 60,
    negativeJitterSeconds: 0,
    ...overrides,
  }));
  return cache;
}
