import { expect } from '@jest/globals';

/** Every error answer is JSON in the RealWorld shape, with one or more messages per key. */
export function expectRealWorldError(body: unknown, key = 'body'): void {
  expect(body).toEqual({ errors: expect.any(Object) });
  const errors = (body as { errors: Record<string, unknown> }).errors;
  expect(errors[key]).toEqual(expect.arrayContaining([expect.any(String)]));
}

/** True when `body` is `{"errors": {"<key>": ["message", ...], ...}}` with at least one key. */
export function isRealWorldError(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'errors') return false;
  const errors = (body as { errors: unknown }).errors;
  if (typeof errors !== 'object' || errors === null || Array.isArray(errors)) return false;
  const entries = Object.values(errors);
  return (
    entries.length > 0 &&
    entries.every(
      (messages) =>
        Array.isArray(messages) &&
        messages.length > 0 &&
        messages.every((m) => typeof m === 'string'),
    )
  );
}
