import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { isDatabaseOverload } from '../database/database-overload.js';
import { FollowsService } from '../follows/follows.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import { FeedRepository, type TimelineEntry } from './feed.repository.js';
import type { ArticleIdPage } from '../articles/article.model.js';
import { type TimelineSlice, TimelineStore } from './timeline.store.js';

/** Feed order: newest first, ties by id descending (SQL's `created_at DESC, id DESC`). */
const newerFirst = (a: TimelineEntry, b: TimelineEntry): number =>
  b.createdAtMs - a.createdAtMs || b.id - a.id;

/**
 * Chooses the ids and the count of GET /api/articles/feed (hydration and presentation are
 * ArticlePages', as for every list).
 *
 * Ids: the viewer's timeline (fan-out on write) merged with the newest articles of the followed
 * authors that are not fanned out (too many followers: pulled at read time). Count: the sum of
 * the followed authors' `articles` counts, which UserCountersService keeps exact (Postgres-derived,
 * moved under the writers' locks, repaired by the outbox): it does not depend on what a timeline
 * holds, so trimming and the merge cannot make it wrong. A page that the Redis sources cannot
 * answer exactly (beyond TIMELINE_MAX, past the end of a trimmed source, a timeline not built,
 * Redis down) is answered by Postgres, with the same order and count.
 */
@Injectable()
export class FeedService {
  private readonly rebuilding = new Map<string, Promise<boolean>>();
  /**
   * Authors seen pulled (marked, or above FANOUT_MAX_FOLLOWERS): their lists are read with the
   * viewer's timeline before the flags confirm it. At most one entry per author with more than
   * FANOUT_MAX_FOLLOWERS followers at some point, so it stays small.
   */
  private readonly knownPulled = new Set<number>();

  constructor(
    private readonly env: Env,
    private readonly keys: RedisKeys,
    private readonly articles: FeedRepository,
    private readonly follows: FollowsService,
    private readonly counters: UserCountersService,
    private readonly timelines: TimelineStore,
    private readonly metrics: MetricsService,
  ) {}

  async page(viewerId: number, limit: number, offset: number): Promise<ArticleIdPage> {
    if (offset + limit <= this.env.TIMELINE_MAX) {
      try {
        const page = await this.fromTimelines(viewerId, limit, offset);
        if (page) {
          this.metrics.countFeedRead('timeline');
          return page;
        }
      } catch (error) {
        // Postgres overloaded (a 503): asking it again below would only double the wait.
        if (isDatabaseOverload(error)) throw error;
        // Otherwise a Redis failure, counted and logged by the gateway: Postgres answers.
      }
    }
    this.metrics.countFeedRead('postgres');
    return this.articles.feedIds(viewerId, limit, offset);
  }

  /** The page from Redis, or null when Redis cannot answer it exactly. */
  private async fromTimelines(
    viewerId: number,
    limit: number,
    offset: number,
  ): Promise<ArticleIdPage | null> {
    const followees = await this.follows.followeeIds(viewerId);
    if (followees.length === 0) return { ids: [], articlesCount: 0 };
    const wanted = offset + limit;
    // The sources are read in the same round trip as the counts and the pulled flags: the
    // viewer's timeline, and the lists of the followees this process already knows as pulled
    // (pulled is for good, so the hint is right or, after a Redis data loss, merely unused).
    const hinted = followees.filter((id) => this.knownPulled.has(id));
    const [[articleCounts, followerCounts], markedPulled, early] = await Promise.all([
      this.counters.columns(followees, ['articles', 'followers']),
      this.timelines.pulled(followees),
      this.readSources(viewerId, hinted, wanted),
    ]);
    let articlesCount = 0;
    let pushedCount = 0;
    const pulled: number[] = [];
    const pulledCounts: number[] = [];
    followees.forEach((id, i) => {
      const articles = articleCounts[i];
      articlesCount += articles;
      if (markedPulled[i] || followerCounts[i] > this.env.FANOUT_MAX_FOLLOWERS) {
        pulled.push(id);
        pulledCounts.push(articles);
        this.knownPulled.add(id);
        // Pulled for good from now on, as a fan-out job would mark it: a timeline built without
        // this author stays right if their follower count falls back under the limit.
        if (!markedPulled[i]) void this.timelines.markPulled(id).catch(() => undefined);
      } else {
        pushedCount += articles;
      }
    });
    const sources = await this.sources(viewerId, pulled, wanted, early);
    if (!sources) return null;
    // A complete source must hold exactly its scope's count (exact counters): otherwise a job has
    // not run yet (a new or deleted article, a fresh follow) and Postgres answers meanwhile.
    const expected = [pushedCount, ...pulledCounts];
    if (sources.some((source, i) => source.complete && source.size !== expected[i])) {
      this.metrics.countFeedLag();
      // More than its scope: besides a delete whose job is still to run, a timeline built just
      // before its author turned pulled holds that author too. Dropped, it is rebuilt right.
      if (sources[0].size > pushedCount)
        await this.timelines.drop([this.keys.timeline(viewerId)]).catch(() => undefined);
      return null;
    }
    const ids = newestIds(sources, wanted);
    if (!ids) return null;
    return { ids: ids.slice(offset), articlesCount };
  }

  /** The viewer's timeline and these authors' lists (see TimelineStore.newest), by key. */
  private async readSources(
    viewerId: number,
    authors: number[],
    count: number,
  ): Promise<SourceRead> {
    const keys = [
      this.keys.timeline(viewerId),
      ...authors.map((id) => this.keys.authorArticles(id)),
    ];
    const { slices, pending } = await this.timelines.newest(
      keys,
      count,
      this.keys.timelinePending(viewerId),
    );
    return { slices: new Map(keys.map((key, i) => [key, slices[i]])), pending };
  }

  /**
   * The viewer's timeline (pushed authors only) and each pulled author's list, newest `count`
   * each, built from Postgres when missing; null when Redis cannot serve them now. `early` holds
   * what was read already; the rest (a pulled author not hinted) costs one more round trip.
   */
  private async sources(
    viewerId: number,
    pulledAuthors: number[],
    count: number,
    early: SourceRead,
  ): Promise<TimelineSlice[] | null> {
    if (early.pending) return null;
    const keys = [
      this.keys.timeline(viewerId),
      ...pulledAuthors.map((id) => this.keys.authorArticles(id)),
    ];
    const unread = pulledAuthors.filter((id) => !early.slices.has(this.keys.authorArticles(id)));
    const late = unread.length ? await this.readSources(viewerId, unread, count) : undefined;
    if (late?.pending) return null;
    // The late read holds the viewer's timeline again, with the times a merge needs (the early
    // one has none when no pulled author was hinted): it is preferred.
    const slices = keys.map((key) =>
      late?.slices.has(key) ? (late.slices.get(key) ?? null) : (early.slices.get(key) ?? null),
    );
    const ready = presentAll(slices);
    if (ready) return ready;
    const built = await Promise.all(
      keys.map((key, i) => {
        if (slices[i] !== null) return Promise.resolve(true);
        const max = this.env.TIMELINE_MAX + 1;
        return this.rebuildOnce(key, () =>
          i === 0
            ? this.articles.feedEntries(viewerId, max, pulledAuthors)
            : this.articles.authorEntries(pulledAuthors[i - 1], max),
        );
      }),
    );
    if (!built.every(Boolean)) return null;
    const again = await this.timelines.newest(keys, count, this.keys.timelinePending(viewerId));
    if (again.pending) return null;
    return presentAll(again.slices);
  }

  /** Rebuilds a timeline from Postgres, once per process at a time (others wait for it). */
  private rebuildOnce(key: string, newest: () => Promise<TimelineEntry[]>): Promise<boolean> {
    const running = this.rebuilding.get(key);
    if (running) return running;
    const work = this.timelines
      .rebuild(key, newest)
      .catch((error: unknown) => {
        if (isDatabaseOverload(error)) throw error;
        return false; // Redis failed (counted by the gateway): Postgres answers.
      })
      .finally(() => this.rebuilding.delete(key));
    this.rebuilding.set(key, work);
    return work;
  }
}

/** Slices read by key (null: not built) and whether the viewer's pending mark was set. */
interface SourceRead {
  slices: Map<string, TimelineSlice | null>;
  pending: boolean;
}

/** The slices when every one is built, otherwise null. */
function presentAll(slices: (TimelineSlice | null)[]): TimelineSlice[] | null {
  const present = slices.filter((slice): slice is TimelineSlice => slice !== null);
  return present.length === slices.length ? present : null;
}

/**
 * The feed's newest `wanted` ids from its sources (the viewer's timeline first), or null when
 * they cannot tell them exactly.
 */
export function newestIds(sources: TimelineSlice[], wanted: number): number[] | null {
  if (sources.length === 1) {
    // One source is already in feed order, each id once: no times needed. A trimmed one that
    // ran out before the page did may be missing older entries.
    const [only] = sources;
    if (!only.complete && only.ids.length < wanted) return null;
    return only.ids.slice(0, wanted);
  }
  const timed = sources.map(timedSource);
  const merged = mergeNewest(timed, wanted);
  return coversPage(timed, merged, wanted) ? merged.map((entry) => entry.id) : null;
}

/** A source with its entries' times, for a merge. */
export interface TimedSource {
  /** Newest first (the feed order). */
  entries: TimelineEntry[];
  /** False when entries older than the last one may be missing (trimmed). */
  complete: boolean;
}

function timedSource(slice: TimelineSlice): TimedSource {
  const times = slice.timesMs;
  // TimelineStore.newest reads times whenever it reads more than one key.
  if (!times) throw new Error('a merged timeline source was read without its times');
  return {
    entries: slice.ids.map((id, i) => ({ id, createdAtMs: times[i] })),
    complete: slice.complete,
  };
}

/** The newest `count` entries of the union of the sources, each article once. */
export function mergeNewest(sources: TimedSource[], count: number): TimelineEntry[] {
  const seen = new Set<number>();
  const all: TimelineEntry[] = [];
  for (const source of sources) {
    for (const entry of source.entries) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      all.push(entry);
    }
  }
  return all.sort(newerFirst).slice(0, count);
}

/**
 * Whether the merged newest `wanted` entries are exactly the feed's. Each source holds the newest
 * entries of its scope, all of them when complete, otherwise all of those not older than its
 * oldest one. A source that returned `wanted` entries cannot be missing anything newer than the
 * page's last entry (its own `wanted` entries would all precede it). A short, trimmed source is
 * exact only down to its oldest entry, so the page must end at or above it (and must be full).
 */
export function coversPage(
  sources: TimedSource[],
  merged: TimelineEntry[],
  wanted: number,
): boolean {
  const last = merged[wanted - 1];
  for (const source of sources) {
    if (source.complete || source.entries.length >= wanted) continue;
    const oldest = source.entries[source.entries.length - 1];
    if (!last || !oldest || newerFirst(last, oldest) > 0) return false;
  }
  return true;
}
