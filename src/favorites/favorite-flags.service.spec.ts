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

  it('answers from the loaded set without Postgres', async () => {
    store.flags.mockResolvedValue([true, false]);
    expect(await sut.of(VIEWER, [10, 11])).toEqual([true, false]);
    expect(store.flags).toHaveBeenCalledWith(VIEWER, [10, 11]);
    expect(favorites.favoritedAmong).not.toHaveBeenCalled();
    expect(store.rebuild).not.toHaveBeenCalled();
  });

  it('asks Postgres when the viewer’s set is not loaded, and rebuilds it in the background', async () => {
    store.flags.mockResolvedValue(null);
    expect(await sut.of(VIEWER, [10, 11, 12])).toEqual([false, true, false]);
    expect(favorites.favoritedAmong).toHaveBeenCalledWith(VIEWER, [10, 11, 12]);
    expect(store.rebuild.mock.calls.map(([id]) => id)).toEqual([VIEWER]);
  });

  it('asks Postgres for every flag when Redis failed, rebuilding nothing', async () => {
    store.flags.mockRejectedValue(new Error('connection lost'));
    expect(await sut.of(VIEWER, [10, 11])).toEqual([false, true]);
    expect(favorites.favoritedAmong).toHaveBeenCalledWith(VIEWER, [10, 11]);
    expect(store.rebuild).not.toHaveBeenCalled();
  });

  it('answers an empty page with no flags, asking nobody', async () => {
    expect(await sut.of(VIEWER, [])).toEqual([]);
    expect(store.flags).not.toHaveBeenCalled();
    expect(favorites.favoritedAmong).not.toHaveBeenCalled();
  });

  it('never fails the read when a rebuild fails', async () => {
    store.flags.mockResolvedValue(null);
    store.rebuild.mockRejectedValue(new Error('connection lost'));
    expect(await sut.of(VIEWER, [11])).toEqual([true]);
    await Promise.resolve(); // the rejection is swallowed, not left unhandled
  });
});
