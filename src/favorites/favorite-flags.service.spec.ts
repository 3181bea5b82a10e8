import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import { FavoriteFlags } from './favorite-flags.service.js';
import { FavoriteIdsCache } from './favorite-ids-cache.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoritesStore } from './favorites.store.js';

const VIEWER = 2;

describe('FavoriteFlags', () => {
  let sut: FavoriteFlags;
  let favorites: Mocked<FavoritesRepository>;
  let store: Mocked<FavoritesStore>;
  let cached: Mocked<FavoriteIdsCache>;

  beforeEach(() => {
    const service = newTestService(FavoriteFlags);
    sut = service.sut;
    favorites = service.mock(FavoritesRepository);
    store = service.mock(FavoritesStore);
    cached = service.mock(FavoriteIdsCache);
    cached.heldSet.mockReturnValue(undefined);
    favorites.favoritedAmong.mockResolvedValue(new Set([11]));
    store.rebuild.mockResolvedValue(true);
  });

  it('answers from the favorites the in-process tier holds, asking Redis and Postgres nothing', async () => {
    cached.heldSet.mockReturnValue(new Set([11, 13]));
    expect(await sut.of(VIEWER, [10, 11, 12, 13])).toEqual([false, true, false, true]);
    expect(cached.heldSet).toHaveBeenCalledWith(VIEWER);
    expect(store.flags).not.toHaveBeenCalled();
    expect(favorites.favoritedAmong).not.toHaveBeenCalled();
    expect(cached.warm).not.toHaveBeenCalled();
  });

  it('asks the set when the tier holds nothing, and loads the entry for the next pages', async () => {
    store.flags.mockResolvedValue([true]);
    expect(await sut.of(VIEWER, [10])).toEqual([true]);
    expect(cached.warm).toHaveBeenCalledWith(VIEWER);
  });

  it('asks the set, loading nothing, for a viewer with too many favorites to list', async () => {
    cached.heldSet.mockReturnValue(null);
    store.flags.mockResolvedValue([false, true]);
    expect(await sut.of(VIEWER, [10, 11])).toEqual([false, true]);
    expect(cached.warm).not.toHaveBeenCalled();
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
