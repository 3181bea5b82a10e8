import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import { FavoriteFlags } from './favorite-flags.service.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoritesStore } from './favorites.store.js';

const VIEWER = 2;

describe('FavoriteFlags', () => {
  let sut: FavoriteFlags;
  let favorites: Mocked<FavoritesRepository>;
  let store: Mocked<FavoritesStore>;

  beforeEach(() => {
    const service = newTestService(FavoriteFlags);
    sut = service.sut;
    favorites = service.mock(FavoritesRepository);
    store = service.mock(FavoritesStore);
    favorites.favoritedAmong.mockResolvedValue(new Set([11]));
    store.rebuild.mockResolvedValue(true);
  });

  it('answers from the loaded sets without Postgres', async () => {
    expect(await sut.from(VIEWER, [10, 11], [1, 0])).toEqual([true, false]);
    expect(favorites.favoritedAmong).not.toHaveBeenCalled();
    expect(store.rebuild).not.toHaveBeenCalled();
  });

  it('asks Postgres when the viewer’s set is not loaded, and rebuilds it once in the background', async () => {
    expect(await sut.from(VIEWER, [10, 11, 12], [-1, -1, -1])).toEqual([false, true, false]);
    expect(favorites.favoritedAmong).toHaveBeenCalledWith(VIEWER, [10, 11, 12]);
    expect(store.rebuild.mock.calls.map(([id]) => id)).toEqual([VIEWER]);
  });

  it('asks Postgres for every flag when Redis failed, rebuilding nothing', async () => {
    expect(await sut.from(VIEWER, [10, 11], undefined)).toEqual([false, true]);
    expect(favorites.favoritedAmong).toHaveBeenCalledWith(VIEWER, [10, 11]);
    expect(store.rebuild).not.toHaveBeenCalled();
  });

  it('answers an empty page with no flags, Redis failed or not, asking nobody', async () => {
    expect(await sut.from(VIEWER, [], undefined)).toEqual([]);
    expect(await sut.from(VIEWER, [], [])).toEqual([]);
    expect(favorites.favoritedAmong).not.toHaveBeenCalled();
  });

  it('never fails the read when a rebuild fails', async () => {
    store.rebuild.mockRejectedValue(new Error('connection lost'));
    expect(await sut.from(VIEWER, [11], [-1])).toEqual([true]);
    await Promise.resolve(); // the rejection is swallowed, not left unhandled
  });
});
