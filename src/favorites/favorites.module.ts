import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CountersModule } from '../counters/counters.module.js';
import { FavoriteFlags } from './favorite-flags.service.js';
import { FavoriteIdsCache } from './favorite-ids-cache.js';
import { FavoritesRepository } from './favorites.repository.js';
import { FavoritesService } from './favorites.service.js';
import { FavoritesStore } from './favorites.store.js';
import { Favorite } from '../articles/article.entity.js';

/**
 * Favorites as data and rules: the table, the users' favorites sets, the favorite write and the
 * viewer's flags. Below ArticlesModule (its presenter asks for the flags); the HTTP routes, which
 * answer with the presented article, sit above both (FavoriteRoutesModule).
 */
@Module({
  imports: [TypeOrmModule.forFeature([Favorite]), CountersModule],
  providers: [
    FavoritesRepository,
    FavoritesStore,
    FavoriteIdsCache,
    FavoriteFlags,
    FavoritesService,
  ],
  exports: [FavoritesService, FavoriteFlags],
})
export class FavoritesModule {}
