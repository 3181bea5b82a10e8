import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Postgres text cannot hold NUL; other C0 controls have no business in names and titles. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

/** Rejects strings that Postgres would refuse (NUL) or that no person types (control characters). */
export function IsCleanText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCleanText',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasControlCharacters(value),
        defaultMessage: () => '$property must not contain control characters',
      },
    },
    options,
  );
}
