import { Injectable, OnModuleInit } from '@nestjs/common';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { inBackground } from '../database/query-origin.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { effects, type OutboxJob, type WriteEffects } from '../outbox/write-effects.js';
import { encodeCursor, type PageCursor } from './cursor.js';
import type { FollowDirection, FollowEdge } from './follow-direction.js';
import { FolloweesCache } from './followees-cache.js';
import { FollowGraphStore } from './follow-graph.store.js';
import { CannotFollowSelfError } from './follows.errors.js';
import { FollowsRepository } from './follows.repository.js';

/** Jobs another module wants after each committed follow (`follow` true) or unfollow. */
export type EdgeJobs = (followerId: number, followeeId: number, follow: boolean) => OutboxJob[];

/**
 * The follow graph: follow and unfollow (by user id), the viewer's `following` flags, and pages of
 * the following/followers lists (ids; the profiles module turns them into profiles).
 *
 * A write runs under three Postgres advisory locks: the pair (exclusive, so the Redis updates of
 * two racing writes on one pair land in commit order) and each user's count lock (shared, see
 * UserCountersService). Postgres commits first; Redis is updated only when a row really changed.
 */
@Injectable()
export class FollowsService implements OnModuleInit {
  private readonly rebuilding = new Map<string, Promise<void>>();
  private edgeJobs: EdgeJobs = () => [];

  constructor(
    private readonly follows: FollowsRepository,
    private readonly graph: FollowGraphStore,
    private readonly counters: UserCountersService,
    private readonly locks: AdvisoryLocks,
    private readonly outbox: OutboxService,
    private readonly followees: FolloweesCache,
  ) {}

  onModuleInit(): void {
    for (const direction of ['following', 'followers'] as const) {
      this.counters.register(
        direction,
        (id, manager) => this.follows.count(id, direction, manager),
        (ids, manager) => this.follows.countMany(ids, direction, manager),
      );
    }
  }

  /** Lets the feed ask for its timeline jobs in every follow's outbox row (set at module init). */
  registerEdgeJobs(jobs: EdgeJobs): void {
    this.edgeJobs = jobs;
  }

  /** Follows `followeeId`; a repeated follow changes nothing. */
  follow(followerId: number, followeeId: number): Promise<void> {
    return this.setFollowing(followerId, followeeId, true);
  }

  /** Unfollows `followeeId`; unfollowing someone not followed changes nothing. */
  unfollow(followerId: number, followeeId: number): Promise<void> {
    return this.setFollowing(followerId, followeeId, false);
  }

  /**
   * For each user id, whether the viewer follows it (all false for anonymous viewers): from the
   * viewer's followees when the in-process tier holds them (no Redis at all; a feed reader's are
   * there, and a missing entry is loaded for the next page), else the viewer's following zset,
   * else Postgres.
   */
  async followingFlags(viewerId: number | undefined, userIds: number[]): Promise<boolean[]> {
    if (viewerId === undefined || userIds.length === 0) return userIds.map(() => false);
    const held = this.followees.heldSet(viewerId);
    if (held) return userIds.map((id) => held.has(id));
    // Loaded for the viewer's next pages (evicted by their last follow, or expired from the
    // tier); this page asks the zset.
    this.followees.warm(viewerId, () => this.followeeIdsFromGraph(viewerId));
    try {
      const flags = await this.graph.follows(viewerId, userIds);
      if (flags) return flags;
      this.rebuildInBackground(viewerId, 'following');
    } catch {
      // Counted and logged by the gateway: Postgres answers.
    }
    const followed = await this.follows.followedAmong(viewerId, userIds);
    return userIds.map((id) => followed.has(id));
  }

  /**
   * Everyone the viewer follows: from the followees cache (in-process tier, then Redis), else the
   * Redis zset (rebuilt when missing), else Postgres.
   */
  followeeIds(viewerId: number): Promise<number[]> {
    return this.followees.get(viewerId, () => this.followeeIdsFromGraph(viewerId));
  }

  private async followeeIdsFromGraph(viewerId: number): Promise<number[]> {
    try {
      const cached = await this.graph.members(viewerId, 'following');
      if (cached) return cached;
      await this.rebuild(viewerId, 'following');
      const rebuilt = await this.graph.members(viewerId, 'following');
      if (rebuilt) return rebuilt;
    } catch {
      // Counted and logged by the gateway: Postgres answers.
    }
    const ids: number[] = [];
    for await (const edges of this.follows.allEdges(viewerId, 'following'))
      ids.push(...edges.map((edge) => edge.userId));
    return ids;
  }

  /** The user's followers from Postgres, in id order and chunks (fan-out jobs). */
  async *followerIdChunks(userId: number, chunk: number): AsyncGenerator<number[]> {
    for await (const edges of this.follows.allEdges(userId, 'followers', chunk))
      yield edges.map((edge) => edge.userId);
  }

  /** Whether the follow exists in Postgres now (the source of truth, for background jobs). */
  async isFollowing(followerId: number, followeeId: number): Promise<boolean> {
    return (await this.follows.followedAmong(followerId, [followeeId])).has(followeeId);
  }

  /**
   * One page of a user's following or followers list, newest first: user ids and the cursor of
   * the next page (null on the last one).
   */
  async page(
    userId: number,
    direction: FollowDirection,
    limit: number,
    after: PageCursor | undefined,
  ): Promise<{ userIds: number[]; nextCursor: string | null }> {
    // One extra item tells whether there is a next page.
    const edges = await this.pageOf(userId, direction, limit + 1, after);
    const page = edges.slice(0, limit);
    const last = page[page.length - 1];
    return {
      userIds: page.map((edge) => edge.userId),
      nextCursor: edges.length > limit && last ? encodeCursor(last) : null,
    };
  }

  private async setFollowing(viewerId: number, targetId: number, follow: boolean): Promise<void> {
    if (targetId === viewerId) throw new CannotFollowSelfError();
    await this.locks.run(
      [
        { key: `follow:${viewerId}:${targetId}`, mode: 'exclusive' },
        this.counters.writerLock(viewerId),
        this.counters.writerLock(targetId),
      ],
      async (manager) => {
        // The row change and its outbox row commit together, in one statement; a repeated
        // follow or unfollow changes nothing and records nothing.
        const fx = effects({
          ...this.staleAfterEdge(viewerId, targetId),
          jobs: this.edgeJobs(viewerId, targetId, follow),
        });
        let followedAt: number | null;
        let outboxId: string;
        if (follow) {
          const inserted = await this.follows.insert(manager, viewerId, targetId, fx);
          if (!inserted) return;
          ({ followedAt, outboxId } = inserted);
        } else {
          const deleted = await this.follows.delete(manager, viewerId, targetId, fx);
          if (deleted === null) return;
          [followedAt, outboxId] = [null, deleted];
        }
        const applied = await this.applyToRedis(viewerId, targetId, followedAt);
        await this.outbox.complete({ id: outboxId, effects: fx }, applied);
      },
    );
  }

  /**
   * What the edge makes stale: the follower's followees entry (evicted by the writer, or by the
   * relay), and what the relay repairs when the writer could not update Redis itself.
   */
  private staleAfterEdge(followerId: number, followeeId: number): Partial<WriteEffects> {
    return {
      cacheKeys: [this.followees.key(followerId)],
      derivedKeys: [
        this.graph.zsetKey(followerId, 'following'),
        this.graph.zsetKey(followeeId, 'followers'),
      ],
      recountUsers: [followerId, followeeId],
    };
  }

  /** Mirrors a committed change into Redis; false when Redis did not confirm all of it. */
  private async applyToRedis(
    followerId: number,
    followeeId: number,
    followedAt: number | null,
  ): Promise<boolean> {
    const delta = followedAt === null ? -1 : 1;
    const [edge, ...counts] = await Promise.all([
      // A failure is counted and logged by the gateway; the relay drops the zsets instead.
      this.graph.applyEdge(followerId, followeeId, followedAt).then(
        () => true,
        () => false,
      ),
      this.counters.apply(followerId, { following: delta }),
      this.counters.apply(followeeId, { followers: delta }),
    ]);
    return edge && counts.every(Boolean);
  }

  private async pageOf(
    userId: number,
    direction: FollowDirection,
    limit: number,
    after: PageCursor | undefined,
  ): Promise<FollowEdge[]> {
    try {
      const cached = await this.graph.page(userId, direction, limit, after);
      if (cached) return cached;
      await this.rebuild(userId, direction);
      const rebuilt = await this.graph.page(userId, direction, limit, after);
      if (rebuilt) return rebuilt;
    } catch {
      // Counted and logged by the gateway: Postgres answers.
    }
    return this.follows.page(userId, direction, limit, after);
  }

  /** Rebuilds a zset from Postgres, once per process at a time. */
  private rebuild(userId: number, direction: FollowDirection): Promise<void> {
    const key = `${direction}:${userId}`;
    const running = this.rebuilding.get(key);
    if (running) return running;
    const work = this.graph
      .rebuild(userId, direction, this.follows.allEdges(userId, direction))
      .then(() => undefined)
      .finally(() => this.rebuilding.delete(key));
    this.rebuilding.set(key, work);
    return work;
  }

  private rebuildInBackground(userId: number, direction: FollowDirection): void {
    // A failure is counted and logged by the gateway; the next read tries again. Not the
    // request's work: its SQL counts as background (the request already answered from Postgres).
    inBackground(() => this.rebuild(userId, direction)).catch(() => undefined);
  }
}
