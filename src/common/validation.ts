import {
  type ArgumentMetadata,
  type Type,
  UnprocessableEntityException,
  ValidationPipe,
} from '@nestjs/common';
import { errorBody, validationException } from './realworld-errors.js';
import { QueryMemo, queryMemoKey } from './query-memo.js';
import { findUnsafeString } from './unsafe-strings.js';

/** Where client input enters a handler: the only argument kinds this pipe screens. */
const CLIENT_INPUT = new Set<ArgumentMetadata['type']>(['body', 'query', 'param']);

/**
 * The global validation pipe: DTO classes describe every accepted field; unknown fields, wrong types
 * and missing fields are rejected with 422 before a controller runs, so nothing changes. Before the
 * DTO rules, every string of the body, query and path parameters (keys too) is screened once for
 * what no layer below can handle (NUL, lone surrogates): 422 naming the field.
 *
 * Whole-query DTOs (`@Query() query: SomeQuery`) that validated are remembered in a bounded memo
 * (common/query-memo.ts): hot list routes see the same few query strings, and class-transformer plus
 * class-validator cost several µs per request. Only successes are remembered, so a rejected query is
 * validated (and its error written) every time. Bodies and path parameters are not memoized.
 */
export class RealWorldValidationPipe extends ValidationPipe {
  private readonly queryMemo: QueryMemo;

  constructor(queryMemo = new QueryMemo()) {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: validationException,
    });
    this.queryMemo = queryMemo;
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const memo = this.memoSlot(value, metadata);
    if (memo !== undefined) {
      // A hit skips the unsafe-string screen below on purpose: the key is the query's exact content,
      // and only a query that passed the screen and the DTO's rules was stored under it.
      const hit = this.queryMemo.get(memo.metatype, memo.key);
      if (hit !== undefined) return hit;
    }
    if (CLIENT_INPUT.has(metadata.type)) {
      const unsafe = findUnsafeString(value, metadata.data ?? metadata.type);
      if (unsafe) {
        throw new UnprocessableEntityException(
          errorBody(unsafe.field, `${unsafe.field} ${unsafe.reason}`),
        );
      }
    }
    const validated: unknown = await super.transform(value, metadata);
    // The memo keeps its own frozen copy; `validated` goes to this request's handler.
    if (memo !== undefined) this.queryMemo.set(memo.metatype, memo.key, validated);
    return validated;
  }

  /**
   * Where a query's validation is remembered, or undefined when it is not a whole query validated
   * against a DTO class (`@Query('name')` primitives and built-in types go through Nest unchanged).
   */
  private memoSlot(
    value: unknown,
    metadata: ArgumentMetadata,
  ): { metatype: Type<unknown>; key: string } | undefined {
    const { type, data, metatype } = metadata;
    if (type !== 'query' || data !== undefined || metatype == null) return undefined;
    if (this.expectedType !== undefined || !this.toValidate(metadata)) return undefined;
    const key = queryMemoKey(value);
    return key === undefined ? undefined : { metatype: metatype as Type<unknown>, key };
  }
}

export function createValidationPipe(): RealWorldValidationPipe {
  return new RealWorldValidationPipe();
}
