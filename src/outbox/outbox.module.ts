import { Global, Module } from '@nestjs/common';
import { OutboxRelay } from './outbox-relay.service.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';

/** Durable cache invalidation: the transactional outbox and its relay (see OutboxService). */
@Global()
@Module({
  providers: [OutboxService, OutboxRepository, OutboxRelay],
  exports: [OutboxService, OutboxRelay],
})
export class OutboxModule {}
