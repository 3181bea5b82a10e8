import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { VIEWS_FLUSH_JOB, VIEWS_QUEUE } from '../src/views/views-queue.js';
import { JobEnqueuer } from '../src/queue/job-enqueuer.js';
import { authHeader, createArticle, registerUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** Nothing listens on port 1: every Redis connection fails at once. */
const DEAD_REDIS = 'redis://127.0.0.1:1/0';

describe('queues with Redis unreachable: writes never fail because of the queue', () => {
  let healthy: TestApp;
  let degraded: TestApp;

  beforeAll(async () => {
    healthy = await bootApp();
    await resetState(healthy);
    degraded = await bootApp({
      REDIS_URL: DEAD_REDIS,
      REDIS_CONNECT_TIMEOUT_MS: '200',
      QUEUE_ENQUEUE_TIMEOUT_MS: '300',
      ADMIN_EMAILS: 'down-admin@example.com',
    });
  });

  afterAll(async () => {
    await degraded.close();
    await healthy.close();
  });

  it('boots with its workers and schedules on, and writes still commit', async () => {
    const author = await registerUser(degraded);
    const slug = await createArticle(degraded, author.token, { title: 'Written without Redis' });
    await degraded.http().get(`/api/articles/${slug}`).expect(200);
  });

  it('an enqueue gives up within its bound and is counted, never thrown', async () => {
    const queue = degraded.app.get<Queue>(getQueueToken(VIEWS_QUEUE));
    const id = await degraded.app.get(JobEnqueuer).tryAdd(queue, VIEWS_FLUSH_JOB, {});
    expect(id).toBeUndefined();
    const text = (await degraded.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/^queue_enqueue_failures_total\{queue="views",job="flush"\} 1$/m);
    // Depth cannot be read: left out of the scrape, not reported as 0.
    expect(text).not.toMatch(/^queue_jobs\{/m);
  });

  it('an admin asking for a reconciliation gets 503, not a hang', async () => {
    const admin = await registerUser(degraded, { email: 'down-admin@example.com' });
    const response = await degraded
      .http()
      .post('/api/admin/reconciliation')
      .set(authHeader(admin.token))
      .expect(503);
    expect(response.body.errors.body[0]).toMatch(/Redis/);
  });
});
