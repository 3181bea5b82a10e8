import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { VIEWS_QUEUE } from '../src/articles/views-queue.js';
import { registerUser, createArticle } from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const viewsOf = async (t: TestApp, slug: string): Promise<number> => {
  const rows: { views_count: number }[] = await t.db.query(
    `SELECT views_count FROM articles WHERE slug = $1`,
    [slug],
  );
  return Number(rows[0]?.views_count ?? -1);
};

describe('Queues: the views flush as a repeatable job', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ VIEWS_FLUSH_INTERVAL_MS: '200' });
    await resetState(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('flushes counted views to Postgres from a scheduled job', async () => {
    const author = await registerUser(t);
    const slug = await createArticle(t, author.token, { title: 'Queued views' });
    for (let i = 0; i < 5; i++) await t.http().get(`/api/articles/${slug}`).expect(200);
    const flushed = await pollUntil(
      () => viewsOf(t, slug),
      (views) => views === 5,
      20_000,
    );
    expect(flushed).toBe(5);
    const queue = t.app.get<Queue>(getQueueToken(VIEWS_QUEUE));
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([['views-flush', 200]]);
  });
});
