import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { idMember, LOADED_SENTINEL, rebuildUnderLease } from '../redis/lazy-structure.js';
import type { RedisClient } from '../redis/redis.client.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import type { TimelineEntry } from './feed.repository.js';
import type { LoadedTimeline } from './timeline-drift.js';

/** Entries per Lua call (ZADD arguments stay far below Lua's unpack limit). */
const CHUNK = 500;
/** Sentinel score of a timeline that holds everything of its scope. */
const COMPLETE = 0;
/** Sentinel score of a trimmed timeline: entries older than its oldest one may be missing. */
const TRIMMED = -1;

/** The newest entries of one timeline as read for a page. */
export interface TimelineSlice {
  /** Article ids, newest first (score desc, id desc: the Postgres feed order). */
  ids: number[];
  /**
   * Their creation times (ms), read only where sources are merged: Redis 7.0 formats each score
   * as text, which makes ZRANGE WITHSCORES of a page ~8x the cost of the members alone.
   */
  timesMs: number[] | undefined;
  /** False when entries older than the last one read may be missing (the timeline was trimmed). */
  complete: boolean;
  /** How many entries the timeline holds in all. */
  size: number;
}

/**
 * Timeline sorted sets: a viewer's feed (`user:{id}:timeline`) and an author's newest articles
 * (`user:{id}:articles`), both zero-padded article ids by creation time (ms), trimmed to
 * TIMELINE_MAX, with the sentinel `#` (score 0 complete, -1 trimmed; missing key = not built).
 * Zero-padded members make Redis' tie order (equal ms) the numeric id order, so ZREVRANGE is
 * exactly SQL's `created_at DESC, id DESC`. Writes apply only to loaded zsets and kill the
 * rebuild lease; missing ones are rebuilt from Postgres under a lease (`rebuildUnderLease`).
 * Every call goes through the RedisGateway; methods throw on Redis errors.
 */
@Injectable()
export class TimelineStore {
  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly env: Env,
  ) {}

  /**
   * The newest `count` entries of each key, in one round trip; null for a key not built, and
   * whether `pendingKey` (a follow's timeline job not done yet) exists. One MULTI per key (one
   * slot each): plain commands, not a script, since Lua's per-call and reply conversions cost
   * Redis ~5x the commands themselves (measured: 47-52 vs 6.5 us per read). The pending mark is
   * read by the first key's, so it must share that key's slot (the viewer's timeline and pending
   * mark do). Times are read only when there are several keys to merge. Reads the master
   * (timelines change under the reader's own writes).
   */
  async newest(
    keys: string[],
    count: number,
    pendingKey: string,
  ): Promise<{ slices: (TimelineSlice | null)[]; pending: boolean }> {
    const withTimes = keys.length > 1;
    // Untyped replies (a MULTI built step by step): SliceReply says what they are.
    const replies: unknown[][] = await this.redis.run('timeline.read', (redis) =>
      Promise.all(
        keys.map((key, i) => {
          // The sentinel's score tells built (present) / complete (0) / trimmed (-1).
          const multi = redis.multi();
          if (i === 0) multi.exists(pendingKey);
          multi.zScore(key, LOADED_SENTINEL).zCard(key);
          // One more than asked: the sentinel may be among them when the zset is short.
          if (withTimes) multi.zRangeWithScores(key, 0, count, { REV: true });
          else multi.zRange(key, 0, count, { REV: true });
          return multi.exec();
        }),
      ),
    );
    return {
      slices: replies.map((reply) => toSlice(reply.slice(-3) as SliceReply, count, withTimes)),
      pending: replies[0]?.[0] === 1,
    };
  }

  /**
   * Which of these users have a built feed timeline: one EXISTS per key, pipelined (each key on
   * its own slot, so this works on a Cluster too).
   */
  async built(userIds: number[]): Promise<boolean[]> {
    if (userIds.length === 0) return [];
    const replies = await this.redis.background('timeline.audit', (redis) =>
      Promise.all(userIds.map((id) => redis.exists(this.keys.timeline(id)))),
    );
    return replies.map((reply) => reply === 1);
  }

  /**
   * The user's whole feed timeline (null when not built) and whether a follow/unfollow job of
   * theirs is pending, in one round trip on the user's slot.
   */
  async loadTimeline(
    userId: number,
  ): Promise<{ timeline: LoadedTimeline | null; pending: boolean }> {
    const [pending, members] = await this.redis.background('timeline.audit', (redis) =>
      Promise.all([
        redis.exists(this.keys.timelinePending(userId)),
        redis.zRangeWithScores(this.keys.timeline(userId), 0, -1, { REV: true }),
      ]),
    );
    const sentinel = members.find((m) => m.value === LOADED_SENTINEL);
    const timeline = sentinel
      ? {
          entries: members
            .filter((m) => m.value !== LOADED_SENTINEL)
            .map((m) => ({ id: Number(m.value), createdAtMs: m.score })),
          complete: sentinel.score === COMPLETE,
        }
      : null;
    return { timeline, pending: pending === 1 };
  }

  /** Every author marked pulled (their articles are merged at read time, never in timelines). */
  async pulledAuthors(): Promise<number[]> {
    const members = await this.redis.background('timeline.audit', (redis) =>
      redis.sMembers(this.keys.pulledAuthors()),
    );
    return members.map(Number);
  }

  /**
   * Marks the follower's loaded timeline as waiting for job `jobId` (see RedisKeys.timelinePending)
   * and answers true; answers false for a timeline not loaded, which needs no job (the script
   * `timelineMarkIfLoaded` says why).
   */
  async markPendingIfLoaded(userId: number, jobId: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.timeline(userId);
    const loaded = await this.redis.run('timeline.pending', (redis) =>
      redis.timelineMarkIfLoaded(
        key,
        RedisKeys.leaseOf(key),
        this.keys.timelinePending(userId),
        jobId,
        ttlMs,
      ),
    );
    return loaded === 1;
  }

  /** Clears the mark if job `jobId` set it last (a later follow's job keeps its own). */
  async clearPending(userId: number, jobId: string): Promise<void> {
    await this.redis.background('timeline.pending', (redis) =>
      redis.releaseLock(this.keys.timelinePending(userId), jobId),
    );
  }

  /** Adds entries to each loaded key (pipelined, trimmed to TIMELINE_MAX); missing keys untouched. */
  async add(keys: string[], entries: TimelineEntry[]): Promise<void> {
    if (keys.length === 0 || entries.length === 0) return;
    for (let i = 0; i < entries.length; i += CHUNK) {
      const members = entries
        .slice(i, i + CHUNK)
        .map((e) => ({ score: e.createdAtMs, member: idMember(e.id) }));
      await this.redis.background('timeline.add', (redis) =>
        Promise.all(
          keys.map((key) =>
            redis.timelineAdd(key, RedisKeys.leaseOf(key), this.env.TIMELINE_MAX, members),
          ),
        ),
      );
    }
  }

  /** Removes articles from each loaded key (pipelined); missing keys untouched. */
  async remove(keys: string[], articleIds: number[]): Promise<void> {
    if (keys.length === 0 || articleIds.length === 0) return;
    for (let i = 0; i < articleIds.length; i += CHUNK) {
      const members = articleIds.slice(i, i + CHUNK).map(idMember);
      await this.redis.background('timeline.remove', (redis) =>
        Promise.all(keys.map((key) => redis.timelineRemove(key, RedisKeys.leaseOf(key), members))),
      );
    }
  }

  /** Drops timelines (they are rebuilt from Postgres on their next read). */
  async drop(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.redis.background('timeline.drop', (redis) => redis.unlink(keys));
  }

  /**
   * Builds `key` from `newest` (the scope's newest TIMELINE_MAX + 1 entries from Postgres, so a
   * longer scope is recognisable) and swaps it in unless a write killed the lease meanwhile.
   */
  async rebuild(key: string, newest: () => Promise<TimelineEntry[]>): Promise<boolean> {
    const max = this.env.TIMELINE_MAX;
    return rebuildUnderLease(
      this.redis,
      'timeline.rebuild',
      key,
      this.env.CACHE_LEASE_MS * 5,
      (async function* () {
        const entries = await newest();
        const kept = entries.slice(0, max);
        const sentinel = entries.length > max ? TRIMMED : COMPLETE;
        yield (redis: RedisClient, scratch: string) =>
          redis.zAdd(scratch, { score: sentinel, value: LOADED_SENTINEL });
        for (let i = 0; i < kept.length; i += CHUNK) {
          const members = kept
            .slice(i, i + CHUNK)
            .map((e) => ({ score: e.createdAtMs, value: idMember(e.id) }));
          yield (redis: RedisClient, scratch: string) => redis.zAdd(scratch, members);
        }
      })(),
    );
  }

  /**
   * Remembers that an author's articles are merged at read time (no fan-out), for good: readers
   * then never miss an article that was not fanned out. True when newly marked.
   */
  async markPulled(authorId: number): Promise<boolean> {
    const added = await this.redis.background('timeline.pulled', (redis) =>
      redis.sAdd(this.keys.pulledAuthors(), String(authorId)),
    );
    return added === 1;
  }

  /** For each author, whether any of their articles was left to the read-time merge. */
  async pulled(authorIds: number[]): Promise<boolean[]> {
    if (authorIds.length === 0) return [];
    const flags = await this.redis.run('timeline.pulled', (redis) =>
      redis.smIsMember(this.keys.pulledAuthors(), authorIds.map(String)),
    );
    return flags.map((flag) => Boolean(flag));
  }
}

/** The replies of one key's MULTI in `newest`, after the pending mark's. */
type SliceReply = [
  sentinelScore: number | null,
  size: number,
  members: (string | { value: string; score: number })[],
];

/** One key's replies as a slice (null: not built), the sentinel left out. */
function toSlice(
  [sentinelScore, size, members]: SliceReply,
  count: number,
  withTimes: boolean,
): TimelineSlice | null {
  if (sentinelScore === null) return null;
  const ids: number[] = [];
  const timesMs: number[] = [];
  for (const member of members) {
    if (ids.length === count) break;
    if (typeof member === 'string') {
      if (member !== LOADED_SENTINEL) ids.push(Number(member));
    } else if (member.value !== LOADED_SENTINEL) {
      ids.push(Number(member.value));
      timesMs.push(member.score);
    }
  }
  return {
    ids,
    timesMs: withTimes ? timesMs : undefined,
    complete: sentinelScore === COMPLETE,
    size: size - 1,
  };
}
