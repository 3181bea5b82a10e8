import type { OutboxJob } from '../outbox/write-effects.js';

/** The outbox job kind (and queue) of timeline maintenance. */
export const TIMELINE_JOB_KIND = 'timeline';

/** What each timeline job needs: ids only; everything else is read from Postgres when it runs. */
export interface TimelineJobData {
  'article-created': { articleId: number };
  /** The article is gone from Postgres: its author and creation time travel with the job. */
  'article-deleted': { articleId: number; authorId: number };
  followed: { followerId: number; followeeId: number };
  unfollowed: { followerId: number; followeeId: number };
}

export type TimelineJobName = keyof TimelineJobData;

export const TIMELINE_JOB_NAMES: TimelineJobName[] = [
  'article-created',
  'article-deleted',
  'followed',
  'unfollowed',
];

/** A timeline job as a write records it in its outbox row. */
export function timelineJob<N extends TimelineJobName>(
  name: N,
  data: TimelineJobData[N],
): OutboxJob {
  return { kind: TIMELINE_JOB_KIND, name, data: { ...data } };
}
