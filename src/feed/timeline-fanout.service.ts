import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { FollowsService } from '../follows/follows.service.js';
import { RedisKeys } from '../redis/keys.js';
import { FeedRepository, type TimelineEntry } from './feed.repository.js';
import type { TimelineJobData, TimelineJobName } from './timeline-jobs.js';
import { TimelineStore } from './timeline.store.js';

/**
 * The work behind each timeline job. Every job reads the truth from Postgres when it runs, writes
 * only to timelines that are loaded (missing ones are rebuilt from Postgres on their next read),
 * then checks Postgres again and undoes what a concurrent write made wrong ("write, then
 * verify"): a job racing a delete, an unfollow or a follow therefore never leaves a stale entry,
 * because the racing write's own job is enqueued after its commit, i.e. after our check.
 * ZADD/ZREM of the same entries are idempotent: a job run twice leaves the same timelines.
 * Errors propagate: the queue retries the job.
 */
@Injectable()
export class TimelineFanout {
  constructor(
    private readonly env: Env,
    private readonly keys: RedisKeys,
    private readonly articles: FeedRepository,
    private readonly follows: FollowsService,
    private readonly counters: UserCountersService,
    private readonly timelines: TimelineStore,
  ) {}

  async run<N extends TimelineJobName>(name: N, data: TimelineJobData[N]): Promise<void> {
    switch (name) {
      case 'article-created':
        return this.articleCreated((data as TimelineJobData['article-created']).articleId);
      case 'article-deleted': {
        const d = data as TimelineJobData['article-deleted'];
        return this.articleDeleted(d.articleId, d.authorId);
      }
      case 'followed': {
        const d = data as TimelineJobData['followed'];
        return this.followed(d.followerId, d.followeeId);
      }
      case 'unfollowed': {
        const d = data as TimelineJobData['unfollowed'];
        return this.unfollowed(d.followerId, d.followeeId);
      }
    }
  }

  markPendingIfLoaded(followerId: number, jobId: string, ttlMs: number): Promise<boolean> {
    return this.timelines.markPendingIfLoaded(followerId, jobId, ttlMs);
  }

  clearPending(followerId: number, jobId: string): Promise<void> {
    return this.timelines.clearPending(followerId, jobId);
  }

  /** Whether the author's articles are merged at read time instead of fanned out. */
  async isPulled(authorId: number): Promise<boolean> {
    const [counts, [marked]] = await Promise.all([
      this.counters.get(authorId),
      this.timelines.pulled([authorId]),
    ]);
    return marked || counts.followers > this.env.FANOUT_MAX_FOLLOWERS;
  }

  /** Adds the article to the author's list and, unless pulled, to every follower's timeline. */
  async articleCreated(articleId: number): Promise<void> {
    const entry = await this.articles.entryOf(articleId);
    if (!entry) return; // Deleted before we ran: its delete job cleans up.
    await this.timelines.add([this.keys.authorArticles(entry.authorId)], [entry]);
    const counts = await this.counters.get(entry.authorId);
    if (counts.followers > this.env.FANOUT_MAX_FOLLOWERS) {
      // Marked before anything else: from now on every reader merges this author's list. Their
      // articles fanned out earlier leave the timelines (a timeline holds pushed authors only).
      if (await this.timelines.markPulled(entry.authorId)) await this.purge(entry.authorId);
      return;
    }
    if ((await this.timelines.pulled([entry.authorId]))[0]) return;
    const reached = new Set<number>();
    for await (const followers of this.follows.followerIdChunks(
      entry.authorId,
      this.env.FANOUT_BATCH_SIZE,
    )) {
      await this.timelines.add(this.timelineKeys(followers), [entry]);
      for (const id of followers) reached.add(id);
    }
    // Verify: the article may be gone, a follower may have unfollowed meanwhile.
    if (!(await this.articles.existingIds([articleId])).has(articleId)) {
      await this.removeFrom([...reached], [articleId]);
      await this.timelines.remove([this.keys.authorArticles(entry.authorId)], [articleId]);
      return;
    }
    for await (const followers of this.follows.followerIdChunks(
      entry.authorId,
      this.env.FANOUT_BATCH_SIZE,
    ))
      for (const id of followers) reached.delete(id);
    await this.removeFrom([...reached], [articleId]);
  }

  /** Removes the article from the author's list and every follower's timeline. */
  async articleDeleted(articleId: number, authorId: number): Promise<void> {
    await this.timelines.remove([this.keys.authorArticles(authorId)], [articleId]);
    for await (const followers of this.follows.followerIdChunks(
      authorId,
      this.env.FANOUT_BATCH_SIZE,
    ))
      await this.removeFrom(followers, [articleId]);
  }

  /**
   * Backfills the followee's newest articles into the follower's timeline (if loaded). Two SQL
   * statements: the follow and the entries read together, then the follow and the entries
   * checked together after the write.
   */
  async followed(followerId: number, followeeId: number): Promise<void> {
    if (await this.isPulled(followeeId)) return; // Merged at read time.
    const { following, entries } = await this.articles.followeeEntries(
      followerId,
      followeeId,
      this.env.TIMELINE_MAX,
    );
    if (!following) return;
    await this.timelines.add([this.keys.timeline(followerId)], entries);
    // Verify: an unfollow or a delete may have committed meanwhile.
    const after = await this.articles.followStillThere(followerId, followeeId, ids(entries));
    if (!after.following) {
      await this.removeFrom([followerId], ids(entries));
      return;
    }
    const gone = entries.filter((e) => !after.existing.has(e.id));
    await this.removeFrom([followerId], ids(gone));
  }

  /** Removes the followee's articles from the follower's timeline (if loaded). */
  async unfollowed(followerId: number, followeeId: number): Promise<void> {
    // A trimmed timeline holds only the feed's newest TIMELINE_MAX, so no older article of the
    // followee can be in it.
    const { following, entries } = await this.articles.followeeEntries(
      followerId,
      followeeId,
      this.env.TIMELINE_MAX,
    );
    if (following) return; // Followed again.
    await this.removeFrom([followerId], ids(entries));
    // Verify: followed again meanwhile, and its backfill may have run before our removal.
    if (await this.follows.isFollowing(followerId, followeeId))
      await this.followed(followerId, followeeId);
  }

  /** Removes the author's articles from every follower's timeline (the author is now pulled). */
  private async purge(authorId: number): Promise<void> {
    const articleIds = ids(await this.articles.authorEntries(authorId, this.env.TIMELINE_MAX));
    for await (const followers of this.follows.followerIdChunks(
      authorId,
      this.env.FANOUT_BATCH_SIZE,
    ))
      await this.removeFrom(followers, articleIds);
  }

  private async removeFrom(userIds: number[], articleIds: number[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += this.env.FANOUT_BATCH_SIZE)
      await this.timelines.remove(
        this.timelineKeys(userIds.slice(i, i + this.env.FANOUT_BATCH_SIZE)),
        articleIds,
      );
  }

  private timelineKeys(userIds: number[]): string[] {
    return userIds.map((id) => this.keys.timeline(id));
  }
}

const ids = (entries: TimelineEntry[]): number[] => entries.map((e) => e.id);
