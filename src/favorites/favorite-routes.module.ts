import { Module } from '@nestjs/common';
import { ArticlesModule } from '../articles/articles.module.js';
import { FavoritesController } from './favorites.controller.js';
import { FavoritesModule } from './favorites.module.js';

/**
 * POST/DELETE /articles/:slug/favorite. Its own module because it needs both sides: the favorite
 * write (FavoritesModule, below articles) and the presented article (ArticlesModule).
 */
@Module({
  imports: [ArticlesModule, FavoritesModule],
  controllers: [FavoritesController],
})
export class FavoriteRoutesModule {}
