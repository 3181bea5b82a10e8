import { CountersModule } from '../counters/counters.module.js';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxEntry } from './outbox-entry.entity.js';
import { OutboxJobs } from './outbox-jobs.service.js';
import { OutboxRelay } from './outbox-relay.service.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';

/** Durable cache invalidation: the transactional outbox and its relay (see OutboxService). */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OutboxEntry]), CountersModule],
  providers: [OutboxService, OutboxRepository, OutboxRelay, OutboxJobs],
  exports: [OutboxService, OutboxRelay],
})
export class OutboxModule {}
