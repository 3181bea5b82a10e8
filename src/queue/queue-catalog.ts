import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Queue } from 'bullmq';
import { withTimeout } from '../redis/with-timeout.js';

/** How long shutdown waits to learn whether Redis answers a queue's connection. */
const PROBE_MS = 250;

/**
 * Every BullMQ queue registered in the app (QueueModule.forFeature), in name order. Found at
 * module init (every provider, so every Queue, exists by then), so their `error` events are heard
 * from the start.
 */
@Injectable()
export class QueueCatalog implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueCatalog.name);
  private found: Queue[] | undefined;

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.found ??= this.discover();
  }

  /**
   * A queue whose Redis went away cannot QUIT, and BullMQ's close then leaves its client
   * reconnecting forever (the process, or Jest, never exits). Cut those connections first;
   * @nestjs/bullmq's close that follows finds them closed.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.queues.map(async (queue) => {
        const probe = queue.getBackend().client.then((client) => client.info());
        const answers = await withTimeout(probe, PROBE_MS).then(
          () => true,
          () => false,
        );
        if (!answers) await withTimeout(queue.disconnect(), PROBE_MS).catch(() => undefined);
      }),
    );
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
