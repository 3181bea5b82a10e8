import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { TIMELINE_QUEUE } from '../../src/feed/timeline-queue.js';
import { pollUntil } from './poll.js';
import type { TestApp } from './test-app.js';

export function timelineQueue(t: TestApp): Queue {
  return t.app.get<Queue>(getQueueToken(TIMELINE_QUEUE));
}

/** Jobs of the timeline queue not finished yet (waiting, delayed, active). */
export async function timelineJobsLeft(t: TestApp): Promise<number> {
  const counts = await timelineQueue(t).getJobCounts('waiting', 'delayed', 'active', 'prioritized');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Resolves once the timeline queue has nothing left to run (bounded; throws past the bound). */
export async function timelineJobsSettled(t: TestApp, boundMs = 20_000): Promise<void> {
  const left = await pollUntil(
    () => timelineJobsLeft(t),
    (n) => n === 0,
    boundMs,
  );
  if (left !== 0) throw new Error(`${left} timeline jobs still queued after ${boundMs} ms`);
}
