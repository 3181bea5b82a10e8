import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Queue } from 'bullmq';

/** Every BullMQ queue registered in the app (QueueModule.forFeature), found once at start-up. */
@Injectable()
export class QueueCatalog implements OnApplicationBootstrap {
  private readonly logger = new Logger(QueueCatalog.name);
  private found: Queue[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    const queues = new Map<string, Queue>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
      if (instance instanceof Queue) queues.set(instance.name, instance as Queue);
    }
    this.found = [...queues.values()].sort((a, b) => a.name.localeCompare(b.name));
    // Connection errors surface as `error` events; unheard, Node would throw them.
    for (const queue of this.found)
      queue.on('error', (error: Error) =>
        this.logger.warn(`queue ${queue.name}: ${error.message}`),
      );
  }

  get queues(): readonly Queue[] {
    return this.found;
  }
}
