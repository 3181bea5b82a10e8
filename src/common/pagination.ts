import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Largest page any list serves. */
export const MAX_PAGE_SIZE = 100;

/** `?limit=`: an optional whole number from 1 to MAX_PAGE_SIZE (strings from the query converted). */
export const LimitField = (defaultValue: number) =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: defaultValue }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(MAX_PAGE_SIZE),
  );

/** `?offset=`: an optional whole number from 0 to `max`. */
export const OffsetField = (max: number) =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 0, default: 0 }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(0),
    Max(max),
  );
