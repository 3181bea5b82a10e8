import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import type { PublicProfile } from '../users/public-profile.js';
import { ArticleCache } from './article-cache.js';
import { ArticlePages, ArticlePresenter } from './article-presenter.js';
import type { ArticleIdPage, SharedArticle } from './article.model.js';

const article = (id: number): SharedArticle =>
  ({ id, slug: `a${id}`, authorId: 7, viewsCount: 0, favoritesCount: 0 }) as SharedArticle;
const AUTHOR = { username: 'jake', bio: null, image: null } as unknown as PublicProfile;

describe('ArticlePages: a cached page remembers what it resolved to', () => {
  let sut: ArticlePages;
  let articles: Mocked<ArticleCache>;
  let presenter: Mocked<ArticlePresenter>;
  let cache: Mocked<CacheAsideService>;
  let page: ArticleIdPage;

  beforeEach(() => {
    const service = newTestService(ArticlePages);
    sut = service.sut;
    articles = service.mock(ArticleCache);
    presenter = service.mock(ArticlePresenter);
    cache = service.mock(CacheAsideService);
    page = { ids: [1, 2], articlesCount: 2 };
    articles.byIds.mockResolvedValue([article(1), article(2)]);
    presenter.authorsOf.mockResolvedValue(new Map([[7, AUTHOR]]));
    presenter.presentWith.mockImplementation((items) =>
      Promise.resolve(
        items.map((a) => ({
          article: a,
          author: AUTHOR,
          following: false,
          favorited: false,
          viewsCount: 0,
        })),
      ),
    );
  });

  it('reuses the articles and authors while the tier still holds them all', async () => {
    cache.stillCurrent.mockReturnValue(true);
    const first = await sut.present(page, 5);
    expect(await sut.present(page, 5)).toBe(first);
    expect(articles.byIds).toHaveBeenCalledTimes(1);
    expect(presenter.authorsOf).toHaveBeenCalledTimes(1);
    // The viewer's flags are still asked on every request.
    expect(presenter.presentWith).toHaveBeenCalledTimes(2);
    // What it checks: the page, its articles and its author.
    expect(cache.stillCurrent).toHaveBeenLastCalledWith([page, article(1), article(2), AUTHOR]);
  });

  it('writes the anonymous response once and reuses the text', async () => {
    cache.stillCurrent.mockReturnValue(true);
    const first = await sut.present(page, undefined);
    await sut.present(page, undefined);
    expect(await sut.present(page, undefined)).toBe(first);
    expect(presenter.presentWith).toHaveBeenCalledTimes(2); // the first read, then the text once
  });

  it('resolves again once any ingredient left the tier, and never remembers a page the tier does not hold', async () => {
    cache.stillCurrent.mockReturnValue(true);
    await sut.present(page, undefined);
    cache.stillCurrent.mockReturnValue(false); // e.g. an article was invalidated
    await sut.present(page, undefined);
    await sut.present(page, undefined);
    expect(articles.byIds).toHaveBeenCalledTimes(3);
  });

  it('does not remember a page with an article missing', async () => {
    cache.stillCurrent.mockReturnValue(true);
    articles.byIds.mockResolvedValue([article(1)]);
    await sut.present(page, undefined);
    await sut.present(page, undefined);
    expect(articles.byIds).toHaveBeenCalledTimes(2);
  });
});
