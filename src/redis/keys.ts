/**
 * Every Redis key the app uses, built in one place so no key string is typed twice. Ids are numeric
 * database ids; client-supplied strings (usernames) are URI-encoded, so they can never contain a
 * brace (a Redis Cluster hash tag) or a separator.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Viewer-independent public profile of a user (JSON), or the negative marker. */
  userProfile(userId: number): string {
    return `${this.prefix}user:${userId}:profile`;
  }

  /** Username -> user id mapping, or the negative marker for a name nobody has. */
  userIdByName(username: string): string {
    return `${this.prefix}user:name:${encodeURIComponent(username)}`;
  }

  /** A login session (JSON with the user id and expiry), or the negative marker once revoked. */
  session(sessionId: string): string {
    return `${this.prefix}session:${sessionId}`;
  }

  /** A cluster-wide mutual-exclusion lock. */
  lock(name: string): string {
    return `${this.prefix}lock:${name}`;
  }

  /**
   * The fill lease of a cache key. It carries the key as its hash tag so the fill script, which
   * touches both, stays in one slot on Redis Cluster (cache keys themselves hold no braces).
   */
  static leaseOf(cacheKey: string): string {
    return cacheKey.includes('{') ? `${cacheKey}:lease` : `{${cacheKey}}:lease`;
  }
}
