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
