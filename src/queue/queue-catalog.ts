import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Queue } from 'bullmq';

/**
 * Every BullMQ queue registered in the app (QueueModule.forFeature), in name order. Found at
 * module init (every provider, so every Queue, exists by then), so their `error` events are heard
 * from the start.
 */
@Injectable()
export class QueueCatalog implements OnModuleInit {
  private readonly logger = new Logger(QueueCatalog.name);
  private found: Queue[] | undefined;

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.found ??= this.discover();
  }

  get queues(): readonly Queue[] {
    this.found ??= this.discover();
    return this.found;
  }

  private discover(): Queue[] {
    const queues = new Map<string, Queue>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
      if (instance instanceof Queue) queues.set(instance.name, instance as Queue);
    }
    const found = [...queues.values()].sort((a, b) => a.name.localeCompare(b.name));
    // Connection errors surface as `error` events; unheard, Node would throw them.
    for (const queue of found)
      queue.on('error', (error: Error) =>
        this.logger.warn(`queue ${queue.name}: ${error.message}`),
      );
    return found;
  }
}
