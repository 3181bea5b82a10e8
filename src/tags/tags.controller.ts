import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ARTICLES_TAG } from '../articles/article.model.js';
import { Cached } from '../cache/cached.decorator.js';
import { TagsRepository } from './tags.repository.js';
import { TagsResponse } from './tags.dto.js';

@ApiTags('Tags')
@Controller('tags')
export class TagsController {
  // No rule between the route and its one query: a service would only pass the call on.
  constructor(private readonly tags: TagsRepository) {}

  /** The same for everyone; invalidated by any article write through the `articles` tag. */
  @Get()
  @Cached({ name: 'tags', key: () => 'all', tags: [ARTICLES_TAG] })
  @ApiOkResponse({ type: TagsResponse })
  async list(): Promise<TagsResponse> {
    return { tags: await this.tags.popular() };
  }
}
