import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { FeedRepository } from './feed.repository.js';
import { timelineDrifted } from './timeline-drift.js';
import { TimelineStore } from './timeline.store.js';

export interface TimelineAuditResult {
  /** Timelines compared with Postgres (built, no follow job pending). */
  checked: number;
  /** Of those, timelines that disagreed twice in a row and were dropped. */
  drifted: number;
}

/** One comparison of a user's timeline with Postgres. */
type Verdict = 'skipped' | 'ok' | 'drifted';

/**
 * Compares feed timelines with Postgres and drops the ones that drifted (a fan-out job that failed
 * past its attempts, a lost write, manual damage): a dropped timeline is rebuilt from Postgres
 * under a lease on its next read, the path every missing timeline takes. Used by reconciliation
 * on a sample of users per run (the feed's read path only catches drift that changes a complete
 * timeline's size).
 *
 * Why it never makes a timeline wrong: it only drops, and dropping is always safe. A rebuild reads
 * Postgres, and a job write that lands meanwhile kills the rebuild's lease, so it is not swapped
 * in; jobs skip missing timelines. A correct timeline dropped by mistake costs one rebuild.
 *
 * Why a running fan-out job is not reported as drift: each comparison reads Redis first and
 * Postgres after, so a timeline can only look behind Postgres (a write committed whose job has not
 * run yet), never ahead of it because of the audit's own read order. A timeline that disagrees is
 * therefore read and compared a second time (Redis, then Postgres again) before it is dropped: a
 * job in flight has by then normally landed (and a job's own "write, then verify" undoes a race
 * with a later write). Only a timeline wrong on both reads counts as drifted. A follow/unfollow
 * job waiting (the pending mark) skips the user: the timeline is legitimately behind.
 */
@Injectable()
export class TimelineAudit {
  constructor(
    private readonly env: Env,
    private readonly keys: RedisKeys,
    private readonly articles: FeedRepository,
    private readonly timelines: TimelineStore,
  ) {}

  /** The users among `userIds` that have a built timeline (candidates for the sample). */
  async withTimeline(userIds: number[]): Promise<number[]> {
    const built = await this.timelines.built(userIds);
    return userIds.filter((_, i) => built[i]);
  }

  /** Compares each user's timeline with Postgres; drops those that drifted. */
  async check(userIds: number[]): Promise<TimelineAuditResult> {
    const result: TimelineAuditResult = { checked: 0, drifted: 0 };
    if (userIds.length === 0) return result;
    const drifted: string[] = [];
    const pulled = await this.timelines.pulledAuthors();
    for (const userId of userIds) {
      const first = await this.compare(userId, pulled);
      if (first === 'skipped') continue;
      result.checked += 1;
      if (first === 'ok') continue;
      // The first disagreement may be a job still in flight, or an author pulled since the run
      // read the set: compare once more with everything read afresh (see above).
      if ((await this.compare(userId)) !== 'drifted') continue;
      result.drifted += 1;
      drifted.push(this.keys.timeline(userId));
    }
    await this.timelines.drop(drifted);
    return result;
  }

  /**
   * `pulled` (read before the timeline) may miss an author pulled since: then the timeline looks
   * wrong and the re-check, which reads the set after the timeline, decides.
   */
  private async compare(userId: number, pulledBefore?: number[]): Promise<Verdict> {
    // Redis first, Postgres second: the order that makes a racing job look "behind", not wrong.
    const { timeline, pending } = await this.timelines.loadTimeline(userId);
    if (!timeline || pending) return 'skipped';
    const max = this.env.TIMELINE_MAX;
    // Pulled authors are never in timelines (a reader merges their lists); the set only grows, so
    // reading it after the timeline cannot miss an author the timeline was built without.
    const pulled = pulledBefore ?? (await this.timelines.pulledAuthors());
    const truth = await this.articles.feedEntries(userId, max + 1, pulled);
    return timelineDrifted(timeline, truth, max) ? 'drifted' : 'ok';
  }
}
