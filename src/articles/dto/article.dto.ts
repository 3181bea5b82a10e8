import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { LimitField, OffsetField } from '../../common/pagination.js';
import { OptionalNotNull } from '../../common/optional.js';
import { IsCleanText } from '../../common/text.js';
import { ProfileView } from '../../profiles/profile.dto.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const trimTags = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value)
    ? value.map((tag: unknown) => (typeof tag === 'string' ? tag.trim() : tag))
    : value;

export const MAX_TAGS = 10;

/** An optional list of up to MAX_TAGS distinct-enough, trimmed, non-empty tags of ≤ 64 chars. */
const TagListField = () =>
  applyDecorators(
    ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS }),
    OptionalNotNull(),
    Transform(trimTags),
    IsArray(),
    ArrayMaxSize(MAX_TAGS),
    IsString({ each: true }),
    IsNotEmpty({ each: true }),
    MaxLength(64, { each: true }),
    IsCleanText({ each: true }),
  );

export class NewArticle {
  @ApiProperty()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @IsCleanText()
  title: string;
  @ApiProperty()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  @IsCleanText()
  description: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(100_000) body: string;

  @TagListField()
  tagList?: string[];
}

export class UpdateArticle {
  @ApiPropertyOptional()
  @OptionalNotNull()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @IsCleanText()
  title?: string;
  @ApiPropertyOptional()
  @OptionalNotNull()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  @IsCleanText()
  description?: string;
  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100_000)
  body?: string;

  @TagListField()
  tagList?: string[];
}

export class NewArticleRequest {
  @ApiProperty({ type: NewArticle })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewArticle)
  article: NewArticle;
}

export class UpdateArticleRequest {
  @ApiProperty({ type: UpdateArticle })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateArticle)
  article: UpdateArticle;
}

export class PageQuery {
  @LimitField(20)
  limit?: number;

  @OffsetField(1_000_000)
  offset?: number;
}

export class ListArticlesQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) @IsCleanText() tag?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) @IsCleanText() author?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) @IsCleanText() favorited?: string;
}

export class NewComment {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(10_000) @IsCleanText() body: string;
}

export class NewCommentRequest {
  @ApiProperty({ type: NewComment })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewComment)
  comment: NewComment;
}

/**
 * What the article summary cache holds, the same for every viewer: an article without its body,
 * all that list responses show (the RealWorld spec's multiple-articles items have no body).
 */
export interface ArticleSummary {
  id: number;
  slug: string;
  title: string;
  description: string;
  tagList: string[];
  createdAt: string;
  updatedAt: string;
  authorId: number;
  favoritesCount: number;
  /** Views flushed to Postgres when this entry was built; pending views are added per request. */
  viewsCount: number;
}

/** What the article cache holds (GET /articles/:slug): the summary and the body. */
export interface SharedArticle extends ArticleSummary {
  body: string;
}

/** One page of a list as cached: ids only; the articles come from the article cache. */
export interface ArticleIdPage {
  ids: number[];
  articlesCount: number;
}

export class ArticleView {
  @ApiProperty() slug: string;
  @ApiProperty() title: string;
  @ApiProperty() description: string;
  @ApiPropertyOptional({ description: 'Left out of lists' }) body?: string;
  @ApiProperty({ type: [String] }) tagList: string[];
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty() favorited: boolean;
  @ApiProperty() favoritesCount: number;
  @ApiProperty({ description: 'Extension: views, flushed and pending' }) viewsCount: number;
  @ApiProperty({ type: ProfileView }) author: ProfileView;
}

export class SingleArticleResponse {
  @ApiProperty({ type: ArticleView }) article: ArticleView;
}

export class MultipleArticlesResponse {
  @ApiProperty({ type: [ArticleView] }) articles: ArticleView[];
  @ApiProperty() articlesCount: number;
}

export class CommentView {
  @ApiProperty() id: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: ProfileView }) author: ProfileView;
}

export class SingleCommentResponse {
  @ApiProperty({ type: CommentView }) comment: CommentView;
}

export class MultipleCommentsResponse {
  @ApiProperty({ type: [CommentView] }) comments: CommentView[];
}

export class TagsResponse {
  @ApiProperty({ type: [String] }) tags: string[];
}
