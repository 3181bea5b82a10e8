import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Cached } from '../cache/cached.decorator.js';
import { ARTICLES_TAG, ArticlesService } from '../articles/articles.service.js';
import { TagsResponse } from '../articles/dto/article.dto.js';

@ApiTags('Tags')
@Controller('tags')
export class TagsController {
  constructor(private readonly articles: ArticlesService) {}

  /** The same for everyone; invalidated by any article write through the `articles` tag. */
  @Get()
  @Cached({ name: 'tags', key: () => 'all', tags: [ARTICLES_TAG] })
  @ApiOkResponse({ type: TagsResponse })
  async list(): Promise<TagsResponse> {
    return { tags: await this.articles.allTags() };
  }
}
