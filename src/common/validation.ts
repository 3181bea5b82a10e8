import {
  type ArgumentMetadata,
  UnprocessableEntityException,
  ValidationPipe,
} from '@nestjs/common';
import { errorBody, validationException } from './realworld-errors.js';
import { findUnsafeString } from './unsafe-strings.js';

/** Where client input enters a handler: the only argument kinds this pipe screens. */
const CLIENT_INPUT = new Set<ArgumentMetadata['type']>(['body', 'query', 'param']);

/**
 * The global validation pipe: DTO classes describe every accepted field; unknown fields, wrong types
 * and missing fields are rejected with 422 before a controller runs, so nothing changes. Before the
 * DTO rules, every string of the body, query and path parameters (keys too) is screened once for
 * what no layer below can handle (NUL, lone surrogates): 422 naming the field.
 */
export class RealWorldValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: validationException,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (CLIENT_INPUT.has(metadata.type)) {
      const unsafe = findUnsafeString(value, metadata.data ?? metadata.type);
      if (unsafe) {
        throw new UnprocessableEntityException(
          errorBody(unsafe.field, `${unsafe.field} ${unsafe.reason}`),
        );
      }
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): RealWorldValidationPipe {
  return new RealWorldValidationPipe();
}
