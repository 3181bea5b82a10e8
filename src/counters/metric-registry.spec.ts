import { jest } from '@jest/globals';
import { fakeEntityManager } from '../test-support/fake-database.js';
import { MetricRegistry, type MetricBatchLoader, type MetricLoader } from './metric-registry.js';

describe('MetricRegistry', () => {
  let sut: MetricRegistry;
  const manager = fakeEntityManager();

  beforeEach(() => {
    sut = new MetricRegistry();
    sut.register('likes', jest.fn<MetricLoader>().mockResolvedValue(2));
    sut.register('followers', jest.fn<MetricLoader>().mockResolvedValue(3));
  });

  it('lists the registered metrics in display order', () => {
    expect(sut.registeredMetrics()).toEqual(['followers', 'likes']);
  });

  it('counts one user: registered metrics from their loader, the others 0', async () => {
    expect(await sut.countUser(7, manager)).toEqual({
      articles: 0,
      followers: 3,
      following: 0,
      likes: 2,
      views: 0,
    });
  });

  it('counts a batch with a batch loader when registered, else user by user', async () => {
    const batch = jest.fn<MetricBatchLoader>().mockResolvedValue(new Map([[1, 9]]));
    sut.register('likes', jest.fn<MetricLoader>(), batch);
    const counts = await sut.countBatch([1, 2], manager);
    expect(batch).toHaveBeenCalledWith([1, 2], manager);
    expect(counts.get('likes')).toEqual(new Map([[1, 9]]));
    expect(counts.get('followers')).toEqual(
      new Map([
        [1, 3],
        [2, 3],
      ]),
    );
  });

  it('takes a hash as loaded only when it holds every registered metric', () => {
    expect(sut.parseHash({ followers: '1' })).toBeNull();
    expect(sut.parseHash({ followers: '1', likes: '4', views: '2' })).toEqual({
      articles: 0,
      followers: 1,
      following: 0,
      likes: 4,
      views: 2,
    });
  });
});
