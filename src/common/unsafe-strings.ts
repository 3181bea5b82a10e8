// In a `u` regex a well-formed surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Why a string cannot be accepted, or undefined: Postgres text cannot hold NUL, and a lone UTF-16
 * surrogate is not text at all (validators call encodeURIComponent on it and throw URIError).
 */
export function unsafeStringReason(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (no lone surrogates)';
  return undefined;
}

export interface UnsafeString {
  /** The leaf name of the offending field, as the RealWorld error body names fields. */
  field: string;
  reason: string;
}

/**
 * The first unsafe string in a parsed body, query or path parameter, object keys included.
 * Iterative, so a deeply nested body cannot overflow the stack here.
 */
export function findUnsafeString(root: unknown, rootField: string): UnsafeString | undefined {
  const pending: [unknown, string][] = [[root, rootField]];
  while (pending.length > 0) {
    const [value, field] = pending.pop()!;
    if (typeof value === 'string') {
      const reason = unsafeStringReason(value);
      if (reason !== undefined) return { field, reason };
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push([item, field]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        const keyReason = unsafeStringReason(key);
        if (keyReason !== undefined) return { field: 'body', reason: `field names ${keyReason}` };
        pending.push([item, key]);
      }
    }
  }
  return undefined;
}
