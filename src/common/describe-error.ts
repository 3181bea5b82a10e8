/** The error behind a connection failure (node reports a dual-stack refusal as an AggregateError). */
export function rootError(error: unknown): { code?: string; message?: string } {
  if (error instanceof AggregateError && error.errors.length > 0) return rootError(error.errors[0]);
  return typeof error === 'object' && error !== null ? error : { message: String(error) };
}

/** A short description for a one-line start-up message: the error code, else its message. */
export function describeError(error: unknown): string {
  const { code, message } = rootError(error);
  return code ?? message ?? String(error);
}
