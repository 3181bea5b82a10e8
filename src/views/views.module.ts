import { Module } from '@nestjs/common';
import { CountersModule } from '../counters/counters.module.js';
import { QueueModule, workerProvider } from '../queue/queue.module.js';
import { ViewsCounter } from './views-counter.service.js';
import { ViewsFlushProcessor } from './views-flush.processor.js';
import { VIEWS_QUEUE } from './views-queue.js';
import { ViewsRepository } from './views.repository.js';

/**
 * Article views, write-behind: counted in Redis per read, flushed to Postgres by a repeatable
 * job. Below ArticlesModule, which records views and adds the pending ones to what it shows.
 */
@Module({
  imports: [CountersModule, QueueModule.forFeature(VIEWS_QUEUE)],
  providers: [ViewsCounter, ViewsRepository, workerProvider(ViewsFlushProcessor)],
  exports: [ViewsCounter],
})
export class ViewsModule {}
