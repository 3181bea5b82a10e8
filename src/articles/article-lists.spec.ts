import { CacheAsideService } from '../cache/cache-aside.service.js';
import { CacheTagsService } from '../cache/cache-tags.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { ArticleLists } from './article-lists.js';
import { ARTICLES_TAG } from './article.model.js';
import { ArticlesRepository } from './articles.repository.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const PAGE = { ids: [3, 2], articlesCount: 2 };

describe('ArticleLists', () => {
  let sut: ArticleLists;
  let cache: Mocked<CacheAsideService>;
  let tags: Mocked<CacheTagsService>;
  let articles: Mocked<ArticlesRepository>;
  let profiles: Mocked<UserDirectory>;

  beforeEach(() => {
    const service = newTestService(ArticleLists);
    sut = service.sut;
    cache = service.mock(CacheAsideService);
    tags = service.mock(CacheTagsService);
    articles = service.mock(ArticlesRepository);
    profiles = service.mock(UserDirectory);
    tags.versionOf.mockResolvedValue('articles=4');
    articles.listIds.mockResolvedValue(PAGE);
  });

  it('caches a page for 60 s under the filters and the articles tag’s generation', async () => {
    expect(await sut.page({ tag: 't', limit: 5 })).toEqual(PAGE);
    expect(tags.versionOf).toHaveBeenCalledWith([ARTICLES_TAG]);
    expect(cache.get).toHaveBeenCalledWith(
      keys.articleListPage('articles=4', JSON.stringify(['t', null, null, 5, null])),
      expect.any(Function),
      expect.objectContaining({ name: 'article-list', ttlSeconds: 60 }),
    );
  });

  it('answers a warm page without a query', async () => {
    cache.get.mockResolvedValue({ ids: [9], articlesCount: 1 });
    expect(await sut.page({})).toEqual({ ids: [9], articlesCount: 1 });
    expect(articles.listIds).not.toHaveBeenCalled();
  });

  it('asks Postgres, caching nothing, when Redis cannot tell the generation', async () => {
    tags.versionOf.mockResolvedValue(null);
    expect(await sut.page({})).toEqual(PAGE);
    expect(cache.get).not.toHaveBeenCalled();
  });

  it('answers an empty page for an unknown author without querying articles', async () => {
    profiles.findIdByUsername.mockResolvedValue(null);
    expect(await sut.page({ author: 'nobody' })).toEqual({ ids: [], articlesCount: 0 });
    expect(articles.listIds).not.toHaveBeenCalled();
  });

  it('filters by the ids of the author and the favoriter', async () => {
    profiles.findIdByUsername.mockImplementation((name) => Promise.resolve(name === 'ann' ? 5 : 6));
    await sut.page({ author: 'ann', favorited: 'ben', tag: 't', limit: 5, offset: 10 });
    expect(articles.listIds).toHaveBeenCalledWith({ tag: 't', authorId: 5, favoritedBy: 6 }, 5, 10);
  });
});
