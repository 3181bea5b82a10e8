import { expect } from '@jest/globals';
import { TimelineStore } from '../../src/feed/timeline.store.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { createArticle, registerUser, userId } from './factories.js';
import {
  articleId,
  expectNewestInTimeline,
  feedOf,
  follow,
  JOB_BOUND_MS,
  timelineIds,
} from './feed.js';
import { pollUntil } from './poll.js';
import type { TestApp } from './test-app.js';
import { timelineJobsSettled, timelineQueue } from './timeline-jobs.js';

/**
 * The failover drills' lost job, set up on the master: a reader whose built timeline received an
 * article through its fan-out job, then that completed job and the timeline entry removed, which
 * is what a promoted replica that never received them lacks. The caller makes the replicas catch
 * up (so the promoted one lacks both too), fails over, and expects the entry back (JobReplay).
 */
export async function articleWithLostJob(t: TestApp): Promise<{ readerId: number; id: number }> {
  const [author, reader] = [await registerUser(t), await registerUser(t)];
  const readerId = await userId(t, reader.username);
  await follow(t, reader, author);
  await createArticle(t, author.token, { title: 'before the failover' });
  await timelineJobsSettled(t);
  await feedOf(t, reader); // builds the reader's timeline
  const slug = await createArticle(t, author.token, { title: 'lost by the failover' });
  const id = await articleId(t, slug);
  // The entry lands before the job is marked completed: wait for the completion itself.
  const job = await pollUntil(
    async () =>
      (await timelineQueue(t).getJobs(['completed'])).find(
        (j) => j.name === 'article-created' && j.data.articleId === id,
      ),
    (found) => found !== undefined,
    JOB_BOUND_MS,
  );
  expect(job).toBeDefined();
  await expectNewestInTimeline(id, () => timelineIds(t, readerId));
  await job!.remove();
  await t.app.get(TimelineStore).remove([t.app.get(RedisKeys).timeline(readerId)], [id]);
  expect(await timelineIds(t, readerId)).not.toContain(id);
  return { readerId, id };
}
