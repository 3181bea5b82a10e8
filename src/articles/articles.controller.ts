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
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../auth/auth-context.js';
import { CurrentUser, OptionalAuth, RequireAuth, Viewer } from '../auth/auth.decorators.js';
import { Cached } from '../cache/cached.decorator.js';
import { ArticleListPersonalizer } from './article-presenter.js';
import { ARTICLES_TAG, type ArticleIdPage } from './article.model.js';
import { ArticlesService } from './articles.service.js';
import {
  ListArticlesQuery,
  NewArticleRequest,
  UpdateArticleRequest,
} from './dto/article-requests.dto.js';
import { MultipleArticlesResponse, SingleArticleResponse } from './dto/article-responses.dto.js';

/** The list cache key: the recognised filters in a fixed order (unknown ones are rejected later). */
function listKey(request: FastifyRequest): string {
  const query = request.query as Record<string, unknown>;
  return JSON.stringify(
    ['tag', 'author', 'favorited', 'limit', 'offset'].map((name) => query[name] ?? null),
  );
}

@ApiTags('Articles')
@Controller('articles')
export class ArticlesController {
  constructor(private readonly articles: ArticlesService) {}

  /** Ids of the page are cached under the `articles` tag; articles come from the object cache. */
  @Get()
  @OptionalAuth()
  @Cached({
    name: 'article-list',
    key: listKey,
    tags: [ARTICLES_TAG],
    ttlSeconds: 60,
    personalize: ArticleListPersonalizer,
  })
  @ApiOkResponse({ type: MultipleArticlesResponse })
  list(@Query() query: ListArticlesQuery): Promise<ArticleIdPage> {
    return this.articles.listIds(query);
  }

  /** A plain service call: the article comes from the article cache (ArticleCache). */
  @Get(':slug')
  @OptionalAuth()
  @ApiOkResponse({ type: SingleArticleResponse })
  async get(
    @Param('slug') slug: string,
    @Viewer() viewer: AuthContext | undefined,
  ): Promise<SingleArticleResponse> {
    return { article: await this.articles.read(slug, viewer?.userId) };
  }

  @Post()
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiCreatedResponse({ type: SingleArticleResponse })
  async create(
    @Body() body: NewArticleRequest,
    @CurrentUser() viewer: AuthContext,
  ): Promise<SingleArticleResponse> {
    return { article: await this.articles.create(viewer.userId, body.article) };
  }

  @Put(':slug')
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: SingleArticleResponse })
  async update(
    @Param('slug') slug: string,
    @Body() body: UpdateArticleRequest,
    @CurrentUser() viewer: AuthContext,
  ): Promise<SingleArticleResponse> {
    return { article: await this.articles.update(viewer.userId, slug, body.article) };
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
