import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context.js';
import { CurrentUser, RequireAuth } from '../auth/auth.decorators.js';
import { ArticlePages } from '../articles/article-presenter.js';
import { PageQuery } from '../articles/dto/article-requests.dto.js';
import { MultipleArticlesResponse } from '../articles/dto/article-responses.dto.js';
import { type JsonText, JsonTextResponse } from '../common/json-text.js';
import { FeedService } from './feed.service.js';

/**
 * GET /articles/feed. Fastify's router matches the static `feed` segment before the `:slug`
 * parameter of ArticlesController, whatever order the modules register their routes in.
 */
@ApiTags('Articles')
@Controller('articles/feed')
export class FeedController {
  constructor(
    private readonly feed: FeedService,
    private readonly pages: ArticlePages,
  ) {}

  /** Viewer-specific ids, so not cached as a page; the articles still come from the object cache. */
  @Get()
  @RequireAuth()
  @ApiSecurity('Token')
  @ApiOkResponse({ type: MultipleArticlesResponse })
  @JsonTextResponse()
  async feedPage(
    @Query() query: PageQuery,
    @CurrentUser() viewer: AuthContext,
  ): Promise<JsonText<MultipleArticlesResponse>> {
    const page = await this.feed.page(viewer.userId, query.limit ?? 20, query.offset ?? 0);
    return this.pages.present(page, viewer.userId);
  }
}
