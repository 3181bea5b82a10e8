import type { EntityManager } from 'typeorm';
import { UserCountersService } from '../counters/user-counters.service.js';
import type { UserMetric } from '../redis/keys.js';
import type { Mocked } from '../test-support/automock.js';
import { fakeEntityManager } from '../test-support/fake-database.js';
import { newTestService } from '../test-support/new-test-service.js';
import { ArticleMetrics } from './article-metrics.js';
import { ArticlesRepository } from './articles.repository.js';

const AUTHOR = 1;

describe('ArticleMetrics', () => {
  let sut: ArticleMetrics;
  let articles: Mocked<ArticlesRepository>;
  let counters: Mocked<UserCountersService>;

  beforeEach(() => {
    const service = newTestService(ArticleMetrics);
    sut = service.sut;
    articles = service.mock(ArticlesRepository);
    counters = service.mock(UserCountersService);
  });

  it('counts articles, likes and views of a batch with one query per connection', async () => {
    sut.onModuleInit();
    articles.authorTotalsMany.mockResolvedValue(
      new Map([[AUTHOR, { articles: 2, likes: 5, views: 9 }]]),
    );
    const load = (metric: UserMetric, on: EntityManager) => {
      const [, , batch] = counters.register.mock.calls.find(([m]) => m === metric)!;
      return batch!([AUTHOR], on);
    };

    const manager = fakeEntityManager();
    expect((await load('articles', manager)).get(AUTHOR)).toBe(2);
    expect((await load('likes', manager)).get(AUTHOR)).toBe(5);
    expect((await load('views', manager)).get(AUTHOR)).toBe(9);
    expect(articles.authorTotalsMany).toHaveBeenCalledTimes(1);

    await load('likes', fakeEntityManager());
    expect(articles.authorTotalsMany).toHaveBeenCalledTimes(2);
  });
});
