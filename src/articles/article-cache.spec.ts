import { CacheAsideService } from '../cache/cache-aside.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { ArticleCache } from './article-cache.js';
import type { SharedArticle } from './article.model.js';
import { ArticlesRepository } from './articles.repository.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const article = (id: number) => ({ id, slug: `a${id}`, authorId: 1 }) as SharedArticle;

describe('ArticleCache', () => {
  let sut: ArticleCache;
  let cache: Mocked<CacheAsideService>;
  let articles: Mocked<ArticlesRepository>;

  beforeEach(() => {
    const service = newTestService(ArticleCache);
    sut = service.sut;
    cache = service.mock(CacheAsideService);
    articles = service.mock(ArticlesRepository);
  });

  it('maps a slug to its id under the slug key, and an unknown slug to null (a negative entry)', async () => {
    articles.findRef.mockResolvedValue({ id: 7, slug: 's', authorId: 1 });
    expect(await sut.idBySlug('s')).toBe(7);
    expect(cache.get).toHaveBeenCalledWith(
      keys.articleIdBySlug('s'),
      expect.any(Function),
      expect.objectContaining({ name: 'article-slug' }),
    );
    articles.findRef.mockResolvedValue(null);
    expect(await sut.idBySlug('nope')).toBeNull();
  });

  it('holds each article once, under its id, for single reads and pages alike', async () => {
    articles.findShared.mockImplementation((ids) => Promise.resolve(ids.map(article)));
    expect(await sut.byId(3)).toEqual(article(3));
    expect(cache.get).toHaveBeenCalledWith(
      keys.article(3),
      expect.any(Function),
      expect.objectContaining({ name: 'article' }),
    );
    await sut.byIds([4, 5]);
    const [ids, keyOf, , policy] = cache.getMany.mock.calls[0];
    expect(ids.map(keyOf)).toEqual([keys.article(4), keys.article(5)]);
    expect(policy.name).toBe('article');
  });

  it('keeps the page order and leaves out articles deleted meanwhile', async () => {
    articles.findShared.mockResolvedValue([article(9), article(2)]);
    expect(await sut.byIds([2, 5, 9])).toEqual([article(2), article(9)]);
    articles.findShared.mockResolvedValue([]);
    expect(await sut.byId(5)).toBeNull();
  });
});
