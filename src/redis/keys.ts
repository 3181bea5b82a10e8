/** Aggregate counts kept per user (hash fields) and ranked across users (leaderboards). */
export type UserMetric = 'following' | 'followers' | 'articles' | 'likes' | 'views';

/**
 * Every Redis key the app uses, built in one place so no key string is typed twice.
 *
 * Per-user keys carry the user id as a Redis Cluster hash tag (`user:{42}:...`), so one Lua script
 * may touch a user's zset and count hash together. Client-supplied strings (usernames) are
 * URI-encoded, so they can never contain a brace (a hash tag) or a separator.
 */
export class RedisKeys {
  private readonly profileKeys = new KeyMemo((id) => `${this.prefix}user:{${id}}:profile`);
  private readonly articleKeys = new KeyMemo((id) => `${this.prefix}article:{${id}}:full`);

  constructor(readonly prefix: string) {}

  /** Viewer-independent public profile of a user (JSON), or the negative marker. */
  userProfile(userId: number): string {
    return this.profileKeys.of(userId);
  }

  /** Username -> user id mapping, or the negative marker for a name nobody has. */
  userIdByName(username: string): string {
    return `${this.prefix}user:name:${encodeURIComponent(username)}`;
  }

  /** Who the user follows: zset, member = followee id, score = follow time (ms). */
  following(userId: number): string {
    return `${this.prefix}user:{${userId}}:following`;
  }

  /**
   * Everyone the user follows, as one cache entry (JSON array of ids): the feed's copy of the
   * `following` zset's members, kept in the in-process tier; evicted by the user's follows.
   */
  followees(userId: number): string {
    return `${this.prefix}user:{${userId}}:followees`;
  }

  /**
   * Every article the user favorited, as one cache entry (JSON array of ids): the `favorited`
   * flags' copy of the favorites set, kept in the in-process tier; evicted by the user's
   * favorites and unfavorites.
   */
  favoriteIds(userId: number): string {
    return `${this.prefix}user:{${userId}}:favorite-ids`;
  }

  /**
   * What the user favorited: set of zero-padded article ids plus a "loaded" sentinel. Beside
   * `following` in the user's slot (one hash tag per user).
   */
  favorites(userId: number): string {
    return `${this.prefix}user:{${userId}}:favorites`;
  }

  /** Who follows the user: zset, member = follower id, score = follow time (ms). */
  followers(userId: number): string {
    return `${this.prefix}user:{${userId}}:followers`;
  }

  /** The user's aggregate counts: hash with one field per UserMetric. */
  userCounts(userId: number): string {
    return `${this.prefix}user:{${userId}}:count`;
  }

  /** Leaderboard of one metric: zset, member = user id, score = count. */
  leaderboard(metric: UserMetric): string {
    return `${this.prefix}count:{user:${metric}}`;
  }

  /**
   * The user's feed timeline: zset of zero-padded article ids by creation time (ms), newest
   * TIMELINE_MAX only, plus the sentinel `#` (score 0: complete, -1: trimmed). Missing = not built.
   */
  timeline(userId: number): string {
    return `${this.prefix}user:{${userId}}:timeline`;
  }

  /**
   * Present while a follow or unfollow of the user waits for its timeline job (value: the job id,
   * with a TTL): the feed is served from Postgres meanwhile, so the follower reads their own write.
   */
  timelinePending(userId: number): string {
    return `${this.prefix}user:{${userId}}:timeline:pending`;
  }

  /**
   * The author's newest articles (same shape as a timeline): the source of follow backfills and of
   * the read-time merge of authors with too many followers to fan out to.
   */
  authorArticles(userId: number): string {
    return `${this.prefix}user:{${userId}}:articles`;
  }

  /** Authors whose articles were not fanned out (too many followers): set of user ids. */
  pulledAuthors(): string {
    return `${this.prefix}timeline:pulled-authors`;
  }

  /**
   * The viewer-independent article, body included (JSON), or the negative marker: the one cached
   * copy of an article, read by GET /articles/:slug and by list pages. Not `article:{id}`, where
   * earlier versions kept bodiless summaries that a rolling deploy may still hold.
   */
  article(articleId: number): string {
    return this.articleKeys.of(articleId);
  }

  /**
   * A page of GET /articles (ids and total, JSON) for one set of filters, under a generation of
   * the `articles` cache tag: bumping the tag orphans every page at once (they expire by TTL).
   */
  articleListPage(generation: string, filters: string): string {
    return `${this.prefix}articles:page:${encodeURIComponent(`${generation}|${filters}`)}`;
  }

  /** Slug -> article id mapping, or the negative marker for a slug no article has. */
  articleIdBySlug(slug: string): string {
    return `${this.prefix}article:slug:${encodeURIComponent(slug)}`;
  }

  /** Article views counted since the last flush to Postgres: hash, field = article id. */
  pendingViews(): string {
    return `${this.prefix}views:{pending}`;
  }

  /** The batch of views being flushed right now (renamed from pendingViews, same slot). */
  flushingViews(): string {
    return `${this.prefix}views:{pending}:flushing`;
  }

  /** Generation counter of a cache tag: bumping it orphans every entry built under the old one. */
  cacheTag(tag: string): string {
    return `${this.prefix}cache-tag:${tag}`;
  }

  /** An HTTP response cached by the @Cached interceptor. */
  httpResponse(name: string, key: string): string {
    return `${this.prefix}http:${name}:${encodeURIComponent(key)}`;
  }

  /**
   * Staging copy of a leaderboard that reconciliation builds beside the live one. Same hash tag as
   * the live key (same Cluster slot), so one script can dual-write both or rename one onto the other.
   */
  leaderboardNext(metric: UserMetric): string {
    return `${this.leaderboard(metric)}:next`;
  }

  /**
   * Present (no TTL) once a leaderboard has been built from Postgres. A Redis restart, FLUSH or
   * failover loses it with the board: until a reconciliation rebuilds the board, deltas skip it
   * and readers get a 503 instead of a partial board. Same hash tag as the board.
   */
  leaderboardBuilt(metric: UserMetric): string {
    return `${this.leaderboard(metric)}:built`;
  }

  /**
   * The board's revision: a number that grows with every change of the live board (each delta,
   * recount and swap moves it, atomically with the change, in the same script), so a page cached
   * under one revision is never served for another. It never repeats, even after Redis lost it:
   * each change sets it to max(revision + 1, Redis' clock in µs). Same hash tag as the board.
   */
  leaderboardRevision(metric: UserMetric): string {
    return `${this.leaderboard(metric)}:rev`;
  }

  /**
   * A rendered leaderboard page (the response's JSON), under the version it was built from (the
   * board's revision and the public-profiles tag generation): a change of either orphans it.
   */
  leaderboardPage(metric: UserMetric, version: string, offset: number, limit: number): string {
    return `${this.prefix}leaderboard-page:${metric}:${version}:${offset}:${limit}`;
  }

  /** Redis' data epoch: a random id set once, without TTL; missing means Redis lost its data. */
  redisEpoch(): string {
    return `${this.prefix}redis:epoch`;
  }

  /** Users seen recently: zset, member = user id, score = last-seen time (ms). */
  onlineUsers(): string {
    return `${this.prefix}online:users`;
  }

  /** The last reconciliation report (JSON), readable by every instance. */
  reconciliationLast(): string {
    return `${this.prefix}stats:reconciliation:last`;
  }

  /**
   * An admin's requested run, queued and not finished yet (token, with a TTL): a second request
   * meanwhile gets 409 and the status says `running`.
   */
  reconciliationRequested(): string {
    return `${this.prefix}stats:reconciliation:requested`;
  }

  /** A login session (JSON with the user id and expiry), or the negative marker once revoked. */
  session(sessionId: string): string {
    return `${this.prefix}session:${sessionId}`;
  }

  /**
   * BullMQ's key prefix: every queue key is `<this>:<queue>:<suffix>`. The hash tag puts all of
   * them in one Cluster slot, as BullMQ's multi-key scripts require.
   */
  queuePrefix(): string {
    return `${this.prefix}{queues}`;
  }

  /** A cluster-wide mutual-exclusion lock. */
  lock(name: string): string {
    return `${this.prefix}lock:${name}`;
  }

  /**
   * The fill lease of a key. It shares the key's hash slot so one script can check the lease and
   * write the key: keys with a hash tag keep it; others become the tag themselves.
   */
  static leaseOf(key: string): string {
    return key.includes('{') ? `${key}:lease` : `{${key}}:lease`;
  }

  /** A scratch key in the same slot as `key`, for building a structure before swapping it in. */
  static scratchOf(key: string, token: string): string {
    return key.includes('{') ? `${key}:build:${token}` : `{${key}}:build:${token}`;
  }
}

/** Ids whose keys a KeyMemo keeps (then it starts over): ~100 bytes each, so ~5 MB at most. */
const KEY_MEMO_MAX = 50_000;

/**
 * The keys of one family by id, each built once: every list or feed page looks up ~20 articles and
 * their authors in the in-process tier, and a key string built anew must be hashed anew by each
 * Map lookup (V8 keeps a string's hash in the string itself). Measured with lru-cache's get on
 * 20k entries: ~300-400 ns with a fresh key, ~130-145 ns with a kept one.
 */
class KeyMemo {
  private readonly keys = new Map<number, string>();

  constructor(private readonly build: (id: number) => string) {}

  of(id: number): string {
    let key = this.keys.get(id);
    if (key === undefined) {
      if (this.keys.size >= KEY_MEMO_MAX) this.keys.clear();
      key = this.build(id);
      this.keys.set(id, key);
    }
    return key;
  }
}
