import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { Mocked } from '../test-support/automock.js';
import { fakeOutbox } from '../test-support/fake-outbox.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { ViewsCounter } from '../views/views-counter.service.js';
import { ArticleCache } from './article-cache.js';
import { ArticlePresenter } from './article-presenter.js';
import { ArticleNotFoundError, NotTheAuthorError } from './articles.errors.js';
import { ArticlesRepository, SlugTakenError } from './articles.repository.js';
import { ARTICLES_TAG, type SharedArticle } from './article.model.js';
import { ArticlesService } from './articles.service.js';
import type { JsonText } from '../common/json-text.js';
import type { SingleArticleResponse } from './dto/article-responses.dto.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const AUTHOR = 1;
const READER = 2;
const REF = { id: 10, slug: 'how-to-train', authorId: AUTHOR };
const SHARED = { id: REF.id, slug: REF.slug, authorId: AUTHOR } as SharedArticle;
const VIEW = '{"article":{"slug":"how-to-train"}}' as JsonText<SingleArticleResponse>;
const slugKey = (slug: string) => keys.articleIdBySlug(slug);
const NEW = { title: 'How to Train', description: 'd', body: 'b', tagList: ['x'] };

describe('ArticlesService', () => {
  let sut: ArticlesService;
  let articles: Mocked<ArticlesRepository>;
  let counters: Mocked<UserCountersService>;
  let locks: Mocked<AdvisoryLocks>;
  let outbox: Mocked<OutboxService>;
  let presenter: Mocked<ArticlePresenter>;
  let cached: Mocked<ArticleCache>;
  let views: Mocked<ViewsCounter>;

  beforeEach(() => {
    const service = newTestService(ArticlesService, provide(OutboxService, fakeOutbox()));
    sut = service.sut;
    articles = service.mock(ArticlesRepository);
    counters = service.mock(UserCountersService);
    locks = service.mock(AdvisoryLocks);
    outbox = service.mock(OutboxService);
    presenter = service.mock(ArticlePresenter);
    cached = service.mock(ArticleCache);
    views = service.mock(ViewsCounter);
    articles.findRef.mockResolvedValue(REF);
    articles.findShared.mockResolvedValue([SHARED]);
    cached.byId.mockResolvedValue(SHARED);
    presenter.single.mockResolvedValue(VIEW);
    counters.writerLock.mockImplementation((id) => ({ key: `counts:${id}`, mode: 'shared' }));
    counters.apply.mockResolvedValue(true);
  });

  describe('read', () => {
    it('goes slug -> id -> article through the article cache, counts the view, adds the flags', async () => {
      cached.idBySlug.mockResolvedValue(REF.id);
      cached.byId.mockResolvedValue(SHARED);
      expect(await sut.read(REF.slug, READER)).toBe(VIEW);
      expect(cached.idBySlug).toHaveBeenCalledWith(REF.slug);
      expect(cached.byId).toHaveBeenCalledWith(REF.id);
      expect(views.count).toHaveBeenCalledWith(REF.id);
      expect(presenter.single).toHaveBeenCalledWith(
        SHARED,
        READER,
        views.count.mock.results[0].value,
      );
      expect(articles.findShared).not.toHaveBeenCalled();
    });

    it('answers 404 for an unknown slug without reading an article or counting a view', async () => {
      cached.idBySlug.mockResolvedValue(null);
      await expect(sut.read('gone', undefined)).rejects.toBeInstanceOf(ArticleNotFoundError);
      expect(cached.byId).not.toHaveBeenCalled();
      expect(views.count).not.toHaveBeenCalled();
    });

    it('answers 404 when the article went away behind its slug mapping', async () => {
      cached.idBySlug.mockResolvedValue(REF.id);
      cached.byId.mockResolvedValue(null);
      await expect(sut.read(REF.slug, undefined)).rejects.toBeInstanceOf(ArticleNotFoundError);
      expect(views.count).not.toHaveBeenCalled();
    });

    it('treats a slug Postgres could not hold as not found, without a cache lookup', async () => {
      await expect(sut.read('a\u0000b', undefined)).rejects.toBeInstanceOf(ArticleNotFoundError);
      await expect(sut.read('x'.repeat(256), undefined)).rejects.toBeInstanceOf(
        ArticleNotFoundError,
      );
      expect(cached.idBySlug).not.toHaveBeenCalled();
    });
  });

  describe('create', () => {
    beforeEach(() => articles.insert.mockResolvedValue(REF.id));

    it('inserts under the author’s count lock, records what goes stale and counts the article', async () => {
      expect(await sut.create(AUTHOR, NEW)).toBe(VIEW);

      expect(locks.run).toHaveBeenCalledWith(
        [{ key: `counts:${AUTHOR}`, mode: 'shared' }],
        expect.any(Function),
      );
      expect(articles.insert).toHaveBeenCalledWith(expect.anything(), {
        ...NEW,
        slug: 'how-to-train',
        authorId: AUTHOR,
      });
      expect(articles.replaceTags).toHaveBeenCalledWith(expect.anything(), REF.id, ['x']);
      expect(counters.apply).toHaveBeenCalledWith(AUTHOR, { articles: 1 });
      expect(outbox.complete).toHaveBeenCalledWith(
        {
          id: expect.any(String),
          effects: {
            // The slug may be cached as unknown (a negative entry); lists and tags change.
            cacheKeys: [keys.article(REF.id), slugKey('how-to-train')],
            tags: [ARTICLES_TAG],
            derivedKeys: [],
            recountUsers: [AUTHOR],
            // Fanned out to the followers' timelines by a job recorded in the same row.
            jobs: [{ kind: 'timeline', name: 'article-created', data: { articleId: REF.id } }],
          },
        },
        true,
      );
      expect(presenter.single).toHaveBeenCalledWith(SHARED, AUTHOR);
    });

    it('retries with a suffixed slug while the slug is taken', async () => {
      articles.insert.mockRejectedValueOnce(new SlugTakenError()).mockResolvedValue(REF.id);
      await sut.create(AUTHOR, NEW);
      const slugs = articles.insert.mock.calls.map(([, article]) => article.slug);
      expect(slugs).toEqual(['how-to-train', expect.stringMatching(/^how-to-train-[0-9a-f]{8}$/)]);
    });

    it('gives up after five taken slugs, and other errors are not retried', async () => {
      // A sixth attempt would succeed: giving up must come from the count, not from the mock.
      for (let i = 0; i < 5; i++) articles.insert.mockRejectedValueOnce(new SlugTakenError());
      await expect(sut.create(AUTHOR, NEW)).rejects.toBeInstanceOf(SlugTakenError);
      expect(articles.insert).toHaveBeenCalledTimes(5);

      articles.insert.mockReset().mockRejectedValue(new Error('deadlock'));
      await expect(sut.create(AUTHOR, NEW)).rejects.toThrow('deadlock');
      expect(articles.insert).toHaveBeenCalledTimes(1);
      expect(outbox.complete).not.toHaveBeenCalled();
    });

    it('leaves the outbox row to the relay when the count delta did not land', async () => {
      counters.apply.mockResolvedValue(false);
      await sut.create(AUTHOR, NEW);
      expect(outbox.complete).toHaveBeenCalledWith(expect.anything(), false);
    });
  });

  describe('update', () => {
    it('answers 404 for an unknown slug and 403 for someone else’s article, writing nothing', async () => {
      await expect(sut.update(READER, REF.slug, { body: 'x' })).rejects.toBeInstanceOf(
        NotTheAuthorError,
      );
      articles.findRef.mockResolvedValue(null);
      await expect(sut.update(AUTHOR, 'gone', { body: 'x' })).rejects.toBeInstanceOf(
        ArticleNotFoundError,
      );
      expect(articles.update).not.toHaveBeenCalled();
      expect(outbox.transaction).not.toHaveBeenCalled();
    });

    it('keeps the slug when the title stays, leaves tags alone, and drops the cached copies', async () => {
      await sut.update(AUTHOR, REF.slug, { body: 'new' });
      expect(articles.update).toHaveBeenCalledWith(expect.anything(), REF.id, {
        slug: undefined,
        title: undefined,
        description: undefined,
        body: 'new',
      });
      expect(articles.replaceTags).not.toHaveBeenCalled();
      expect(outbox.complete).toHaveBeenCalledWith({
        id: expect.any(String),
        effects: {
          // The slug stays: its mapping is still right.
          cacheKeys: [keys.article(REF.id)],
          tags: [ARTICLES_TAG],
          derivedKeys: [],
          recountUsers: [],
          jobs: [],
        },
      });
    });

    it('moves the slug with the title and drops the mappings of the old and the new slug', async () => {
      await sut.update(AUTHOR, REF.slug, { title: 'Brand New', tagList: [] });
      expect(articles.update).toHaveBeenCalledWith(
        expect.anything(),
        REF.id,
        expect.objectContaining({ slug: 'brand-new', title: 'Brand New' }),
      );
      expect(articles.replaceTags).toHaveBeenCalledWith(expect.anything(), REF.id, []);
      expect(outbox.complete.mock.calls[0][0]!.effects.cacheKeys).toEqual([
        keys.article(REF.id),
        slugKey(REF.slug),
        slugKey('brand-new'),
      ]);
    });

    it('treats a slug Postgres could not hold as not found, without a query', async () => {
      await expect(sut.update(AUTHOR, 'a\u0000b', { body: 'x' })).rejects.toBeInstanceOf(
        ArticleNotFoundError,
      );
      expect(articles.findRef).not.toHaveBeenCalled();
    });
  });

  describe('delete', () => {
    it('answers 403 for someone else’s article', async () => {
      await expect(sut.delete(READER, REF.slug)).rejects.toBeInstanceOf(NotTheAuthorError);
      expect(articles.delete).not.toHaveBeenCalled();
    });

    it('takes back what the article added to its author’s counts', async () => {
      articles.delete.mockResolvedValue({ favoritesCount: 3, viewsCount: 40 });
      await sut.delete(AUTHOR, REF.slug);

      expect(counters.apply).toHaveBeenCalledWith(AUTHOR, { articles: -1, likes: -3, views: -40 });
      expect(outbox.complete).toHaveBeenCalledWith(
        {
          id: expect.any(String),
          effects: {
            cacheKeys: [keys.article(REF.id), slugKey(REF.slug)],
            tags: [ARTICLES_TAG],
            derivedKeys: [],
            recountUsers: [AUTHOR],
            jobs: [
              {
                kind: 'timeline',
                name: 'article-deleted',
                data: { articleId: REF.id, authorId: AUTHOR },
              },
            ],
          },
        },
        true,
      );
    });

    it('does nothing more when a concurrent delete removed the article first', async () => {
      articles.delete.mockResolvedValue(null);
      await sut.delete(AUTHOR, REF.slug);
      expect(counters.apply).not.toHaveBeenCalled();
      expect(outbox.complete).not.toHaveBeenCalled();
    });

    it('leaves the outbox row to the relay when the author’s counts could not be moved', async () => {
      articles.delete.mockResolvedValue({ favoritesCount: 0, viewsCount: 0 });
      counters.apply.mockResolvedValue(false);
      await sut.delete(AUTHOR, REF.slug);
      expect(outbox.complete).toHaveBeenCalledWith(expect.anything(), false);
    });
  });
});
