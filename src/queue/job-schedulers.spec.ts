import { jest } from '@jest/globals';
import type { Queue } from 'bullmq';
import type { Env } from '../config/env.schema.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import type { RedisGateway } from '../redis/redis-gateway.js';
import { JobSchedulers, REAPPLY_AGAIN_MS } from './job-schedulers.js';

/** A queue whose upserts fail while `down` (its connection still reconnecting). */
function fakeQueue() {
  const state = { down: false, upserts: 0 };
  const queue = {
    name: 'views',
    upsertJobScheduler: () => {
      if (state.down) return Promise.reject(new Error('Connection is closed.'));
      state.upserts += 1;
      return Promise.resolve();
    },
    removeJobScheduler: () => Promise.resolve(true),
  } as unknown as Queue;
  return { queue, state };
}

describe('JobSchedulers', () => {
  let failover: () => void;
  let ready: () => void;
  let sut: JobSchedulers;
  let queue: ReturnType<typeof fakeQueue>;

  beforeEach(async () => {
    const connection = {
      redis: { on: (_: string, listener: () => void) => (ready = listener) },
    } as unknown as RedisConnection;
    const gateway = {
      onFailover: (listener: () => void) => (failover = listener),
    } as unknown as RedisGateway;
    const env = { QUEUE_WORKERS: true, REDIS_CONNECT_TIMEOUT_MS: 100 } as Env;
    sut = new JobSchedulers(connection, gateway, env);
    queue = fakeQueue();
    sut.register({ queue: queue.queue, id: 'views-flush', name: 'flush', repeat: { every: 500 } });
    await sut.onApplicationBootstrap();
  });
  afterEach(() => sut.onApplicationShutdown());

  it('declares the schedulers at bootstrap', () => {
    expect(queue.state.upserts).toBe(1);
  });

  it('after a failover, tries until the queue connection reaches the new master, and again later', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      queue.state.down = true;
      failover();
      await jest.advanceTimersByTimeAsync(1000);
      expect(queue.state.upserts).toBe(1); // still failing: nothing applied yet
      queue.state.down = false;
      await jest.advanceTimersByTimeAsync(300);
      await sut.reapplied();
      expect(queue.state.upserts).toBe(2);
      // The second pass: an upsert that reached the old master before its demotion is lost.
      await jest.advanceTimersByTimeAsync(REAPPLY_AGAIN_MS);
      await sut.reapplied();
      expect(queue.state.upserts).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('when Redis is back, tries until applied', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      queue.state.down = true;
      ready();
      await jest.advanceTimersByTimeAsync(1000);
      queue.state.down = false;
      await jest.advanceTimersByTimeAsync(300);
      await sut.reapplied();
      expect(queue.state.upserts).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
