import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context.js';
import { CurrentUser, OptionalAuth, RequireAuth, Viewer } from '../auth/auth.decorators.js';
import { type JsonText, JsonTextResponse } from '../common/json-text.js';
import { ArticlesService } from './articles.service.js';
import {
  ListArticlesQuery,
  NewArticleRequest,
  UpdateArticleRequest,
} from './dto/article-requests.dto.js';
import { MultipleArticlesResponse, SingleArticleResponse } from './dto/article-responses.dto.js';

@ApiTags('Articles')
@Controller('articles')
export class ArticlesController {
  constructor(private readonly articles: ArticlesService) {}

  /** Pages of ids are cached under the `articles` tag; articles come from the object cache. */
  @Get()
  @OptionalAuth()
  @ApiOkResponse({ type: MultipleArticlesResponse })
  @JsonTextResponse()
  list(
    @Query() query: ListArticlesQuery,
    @Viewer() viewer: AuthContext | undefined,
  ): Promise<JsonText<MultipleArticlesResponse>> {
    return this.articles.list(query, viewer?.userId);
  }

  /** The article comes from the article cache (ArticleCache). */
  @Get(':slug')
  @OptionalAuth()
  @ApiOkResponse({ type: SingleArticleResponse })
  @JsonTextResponse()
  get(
    @Param('slug') slug: string,
    @Viewer() viewer: AuthContext | undefined,
  ): Promise<JsonText<SingleArticleResponse>> {
    return this.articles.read(slug, viewer?.userId);
  }

  @Post()
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiCreatedResponse({ type: SingleArticleResponse })
  @JsonTextResponse()
  create(
    @Body() body: NewArticleRequest,
    @CurrentUser() viewer: AuthContext,
  ): Promise<JsonText<SingleArticleResponse>> {
    return this.articles.create(viewer.userId, body.article);
  }

  @Put(':slug')
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: SingleArticleResponse })
  @JsonTextResponse()
  update(
    @Param('slug') slug: string,
    @Body() body: UpdateArticleRequest,
    @CurrentUser() viewer: AuthContext,
  ): Promise<JsonText<SingleArticleResponse>> {
    return this.articles.update(viewer.userId, slug, body.article);
  }

  @Delete(':slug')
  @RequireAuth()
  @ApiSecurity('Token')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async delete(@Param('slug') slug: string, @CurrentUser() viewer: AuthContext): Promise<void> {
    await this.articles.delete(viewer.userId, slug);
  }
}
