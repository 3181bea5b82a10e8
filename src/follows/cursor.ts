import { ValidationFailedError } from '../common/domain-error.js';

/** Position after the last item of a page: its follow time (ms) and user id (the tie-breaker). */
export interface PageCursor {
  followedAt: number;
  userId: number;
}

/** Opaque to clients: base64url of "<ms>.<id>". */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.followedAt}.${cursor.userId}`).toString('base64url');
}

/** Decodes a cursor from the query string; anything malformed is a 422, never a 500. */
export function decodeCursor(raw: string): PageCursor {
  const decoded = Buffer.from(raw, 'base64url').toString('utf8');
  const match = /^(\d{1,15})\.(\d{1,10})$/.exec(decoded);
  const followedAt = Number(match?.[1]);
  const userId = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(followedAt) || userId < 1 || userId > 2_147_483_647) {
    throw new ValidationFailedError('is not a valid cursor', 'cursor');
  }
  return { followedAt, userId };
}
