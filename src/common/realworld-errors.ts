import { UnprocessableEntityException, type ValidationError } from '@nestjs/common';

/** The RealWorld error body: `{"errors": {"<field or body>": ["message", ...]}}`. */
export type RealWorldErrorBody = { errors: Record<string, string[]> };

export function errorBody(field: string, ...messages: string[]): RealWorldErrorBody {
  return { errors: { [field]: messages } };
}

/**
 * Flattens class-validator errors into field-keyed messages. Nested DTOs (`{user: {email}}`) give
 * the leaf's name ("email"), which is what RealWorld clients display next to the input.
 */
export function flattenValidationErrors(
  errors: ValidationError[],
  into: Record<string, string[]> = {},
): Record<string, string[]> {
  for (const error of errors) {
    if (error.constraints) {
      const messages = Object.values(error.constraints);
      (into[error.property] ??= []).push(...messages);
    }
    if (error.children?.length) flattenValidationErrors(error.children, into);
  }
  return into;
}

/** ValidationPipe's exceptionFactory: 422 with the RealWorld body. */
export function validationException(errors: ValidationError[]): UnprocessableEntityException {
  const fields = flattenValidationErrors(errors);
  if (Object.keys(fields).length === 0) fields.body = ['invalid request'];
  return new UnprocessableEntityException({ errors: fields });
}
