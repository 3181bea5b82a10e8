import { Module } from '@nestjs/common';
import { TagsController } from './tags.controller.js';
import { TagsRepository } from './tags.repository.js';

/** GET /tags: the popular tags, cached under the `articles` tag generation. */
@Module({
  controllers: [TagsController],
  providers: [TagsRepository],
})
export class TagsModule {}
