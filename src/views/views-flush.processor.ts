import { Processor } from '@nestjs/bullmq';
import { QueueProcessor, workerOptions } from '../queue/queue-processor.js';
import { ViewsCounter } from './views-counter.service.js';
import { VIEWS_FLUSH_JOB, VIEWS_QUEUE } from './views-queue.js';

/** Runs the views flush as a job (scheduled by ViewsCounter): returns the views flushed. */
@Processor(VIEWS_QUEUE, workerOptions())
export class ViewsFlushProcessor extends QueueProcessor<unknown, number> {
  protected readonly jobNames = [VIEWS_FLUSH_JOB];

  constructor(private readonly views: ViewsCounter) {
    super();
  }

  handle(): Promise<number> {
    return this.views.flush();
  }
}
