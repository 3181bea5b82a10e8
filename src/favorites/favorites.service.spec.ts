import { ARTICLES_TAG } from '../articles/article.model.js';
import { ArticleNotFoundError } from '../articles/articles.errors.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { Mocked } from '../test-support/automock.js';
import { fakeOutbox } from '../test-support/fake-outbox.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoritesService } from './favorites.service.js';
import { FavoritesStore } from './favorites.store.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const AUTHOR = 1;
const READER = 2;
const ARTICLE = { id: 10, slug: 'how-to-train', authorId: AUTHOR };

describe('FavoritesService', () => {
  let sut: FavoritesService;
  let favorites: Mocked<FavoritesRepository>;
  let store: Mocked<FavoritesStore>;
  let counters: Mocked<UserCountersService>;
  let locks: Mocked<AdvisoryLocks>;
  let outbox: Mocked<OutboxService>;

  beforeEach(() => {
    const service = newTestService(FavoritesService, provide(OutboxService, fakeOutbox()));
    sut = service.sut;
    favorites = service.mock(FavoritesRepository);
    store = service.mock(FavoritesStore);
    counters = service.mock(UserCountersService);
    locks = service.mock(AdvisoryLocks);
    outbox = service.mock(OutboxService);
    counters.writerLock.mockImplementation((id) => ({ key: `counts:${id}`, mode: 'shared' }));
    counters.apply.mockResolvedValue(true);
    store.apply.mockResolvedValue(undefined);
  });

  describe('set', () => {
    it('locks the reader’s favorite and the author’s counts, records the effects with the change, then moves set and likes by +1', async () => {
      favorites.add.mockResolvedValue('row-1');
      await sut.set(READER, ARTICLE, true);

      expect(locks.run).toHaveBeenCalledWith(
        [
          { key: `favorite:${READER}:${ARTICLE.id}`, mode: 'exclusive' },
          { key: `counts:${AUTHOR}`, mode: 'shared' },
        ],
        expect.any(Function),
      );
      expect(favorites.add).toHaveBeenCalledWith(
        expect.anything(),
        READER,
        ARTICLE.id,
        expect.objectContaining({ recountUsers: [AUTHOR] }),
      );
      expect(store.apply).toHaveBeenCalledWith(ARTICLE.id, READER, true);
      expect(counters.apply).toHaveBeenCalledWith(AUTHOR, { likes: 1 });
      expect(outbox.complete).toHaveBeenCalledWith(
        {
          id: 'row-1',
          effects: {
            // The cached article carries favoritesCount; lists filtered by favoriter change.
            cacheKeys: [keys.article(ARTICLE.id)],
            tags: [ARTICLES_TAG],
            derivedKeys: [keys.favorites(READER)],
            recountUsers: [AUTHOR],
            jobs: [],
          },
        },
        true,
      );
    });

    it('moves likes by -1 on an unfavorite', async () => {
      favorites.remove.mockResolvedValue('row-1');
      await sut.set(READER, ARTICLE, false);
      expect(favorites.remove).toHaveBeenCalledWith(
        expect.anything(),
        READER,
        ARTICLE.id,
        expect.objectContaining({ recountUsers: [AUTHOR] }),
      );
      expect(store.apply).toHaveBeenCalledWith(ARTICLE.id, READER, false);
      expect(counters.apply).toHaveBeenCalledWith(AUTHOR, { likes: -1 });
    });

    it('changes and records nothing on a repeated favorite', async () => {
      favorites.add.mockResolvedValue(null);
      await sut.set(READER, ARTICLE, true);
      expect(store.apply).not.toHaveBeenCalled();
      expect(counters.apply).not.toHaveBeenCalled();
      expect(outbox.complete).not.toHaveBeenCalled();
    });

    it('leaves the outbox row to the relay when the favoriter set missed the change', async () => {
      favorites.add.mockResolvedValue('row-1');
      store.apply.mockRejectedValue(new Error('connection lost'));
      await sut.set(READER, ARTICLE, true);
      expect(counters.apply).toHaveBeenCalledWith(AUTHOR, { likes: 1 });
      expect(outbox.complete).toHaveBeenCalledWith(expect.anything(), false);
    });

    it('leaves the outbox row to the relay when the likes delta did not land', async () => {
      favorites.add.mockResolvedValue('row-1');
      counters.apply.mockResolvedValue(false);
      await sut.set(READER, ARTICLE, true);
      expect(outbox.complete).toHaveBeenCalledWith(expect.anything(), false);
    });

    it('passes on a 404 from a concurrent delete, recording nothing', async () => {
      favorites.add.mockRejectedValue(new ArticleNotFoundError());
      await expect(sut.set(READER, ARTICLE, true)).rejects.toBeInstanceOf(ArticleNotFoundError);
      expect(store.apply).not.toHaveBeenCalled();
      expect(outbox.complete).not.toHaveBeenCalled();
    });
  });
});
