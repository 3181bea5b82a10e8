import { TimelineQueue } from '../../src/articles/feed/timeline-queue.js';
import type { TestApp } from './test-app.js';

/** Resolves once the timeline jobs this instance has started are done. */
export async function timelineJobsSettled(t: TestApp): Promise<void> {
  await t.app.get(TimelineQueue).drained();
}
