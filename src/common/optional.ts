import { applyDecorators } from '@nestjs/common';
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * The field may be left out, but not sent as `null` (class-validator's IsOptional lets null
 * through, and a null would reach a NOT NULL column). Fields the spec lets clients clear with null
 * (bio, image) declare that explicitly instead.
 */
export const OptionalNotNull = (options?: ValidationOptions) =>
  applyDecorators(
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    ValidateBy(
      {
        name: 'isNotNull',
        validator: {
          validate: (value: unknown) => value !== null,
          defaultMessage: () => '$property must not be null',
        },
      },
      options,
    ),
  );
