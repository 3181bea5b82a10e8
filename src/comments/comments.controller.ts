import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseIntPipe,
  Post,
} from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context.js';
import { CurrentUser, OptionalAuth, RequireAuth, Viewer } from '../auth/auth.decorators.js';
import { CommentNotFoundError } from './comments.errors.js';
import { CommentsService } from './comments.service.js';
import {
  MultipleCommentsResponse,
  NewCommentRequest,
  SingleCommentResponse,
} from './comment.dto.js';

@ApiTags('Comments')
@Controller('articles/:slug/comments')
export class CommentsController {
  constructor(private readonly comments: CommentsService) {}

  @Post()
  @RequireAuth()
  @ApiSecurity('Token')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: SingleCommentResponse })
  async add(
    @Param('slug') slug: string,
    @Body() body: NewCommentRequest,
    @CurrentUser() viewer: AuthContext,
  ): Promise<SingleCommentResponse> {
    return { comment: await this.comments.add(viewer.userId, slug, body.comment.body) };
  }

  @Get()
  @OptionalAuth()
  @ApiOkResponse({ type: MultipleCommentsResponse })
  async list(
    @Param('slug') slug: string,
    @Viewer() viewer: AuthContext | undefined,
  ): Promise<MultipleCommentsResponse> {
    return { comments: await this.comments.list(slug, viewer?.userId) };
  }

  @Delete(':id')
  @RequireAuth()
  @ApiSecurity('Token')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async delete(
    @Param('slug') slug: string,
    @Param('id', new ParseIntPipe({ errorHttpStatusCode: HttpStatus.UNPROCESSABLE_ENTITY }))
    id: number,
    @CurrentUser() viewer: AuthContext,
  ): Promise<void> {
    if (id < 1 || id > 2_147_483_647) throw new CommentNotFoundError();
    await this.comments.delete(viewer.userId, slug, id);
  }
}
