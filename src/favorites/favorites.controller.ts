import { Controller, Delete, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context.js';
import { CurrentUser, RequireAuth } from '../auth/auth.decorators.js';
import { ArticlesService } from '../articles/articles.service.js';
import { SingleArticleResponse } from '../articles/dto/article-responses.dto.js';
import { type JsonText, JsonTextResponse } from '../common/json-text.js';
import { FavoritesService } from './favorites.service.js';

@ApiTags('Favorites')
@Controller('articles/:slug/favorite')
export class FavoritesController {
  constructor(
    private readonly articles: ArticlesService,
    private readonly favorites: FavoritesService,
  ) {}

  @Post()
  @RequireAuth()
  @ApiSecurity('Token')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: SingleArticleResponse })
  @JsonTextResponse()
  favorite(
    @Param('slug') slug: string,
    @CurrentUser() viewer: AuthContext,
  ): Promise<JsonText<SingleArticleResponse>> {
    return this.set(slug, viewer.userId, true);
  }

  @Delete()
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: SingleArticleResponse })
  @JsonTextResponse()
  unfavorite(
    @Param('slug') slug: string,
    @CurrentUser() viewer: AuthContext,
  ): Promise<JsonText<SingleArticleResponse>> {
    return this.set(slug, viewer.userId, false);
  }

  /** The article as the viewer sees it after the write (ArticlesService.viewById). */
  private async set(
    slug: string,
    viewerId: number,
    favorite: boolean,
  ): Promise<JsonText<SingleArticleResponse>> {
    // Through the cache: the favorite's statement itself refuses an article deleted meanwhile.
    const article = await this.articles.requireCachedRef(slug);
    await this.favorites.set(viewerId, article, favorite);
    return this.articles.viewById(article.id, viewerId);
  }
}
