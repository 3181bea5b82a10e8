import { ValidationPipe } from '@nestjs/common';
import { validationException } from './realworld-errors.js';

/**
 * The global validation pipe: DTO classes describe every accepted field; unknown fields, wrong types
 * and missing fields are rejected with 422 before a controller runs, so nothing changes.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: validationException,
  });
}
