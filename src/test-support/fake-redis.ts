import { jest } from '@jest/globals';
import type { RedisClient } from '../redis/redis.client.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import type { HeldLock } from '../redis/redis-lock.js';
import { automock, looseMock, type LooseMock, type Mocked } from './automock.js';

/**
 * The command client the fake gateway hands to services: any command (and any Lua script of
 * redis/scripts/) is a Jest mock resolving to undefined, created on first use. Loosely typed on
 * purpose: node-redis' command signatures are generic over RESP reply types, which makes
 * `mockResolvedValue` of a precisely typed mock unusable. A test stubs only the replies its
 * behaviour depends on, e.g. `redis.hGetAll.mockResolvedValue({...})`, or fails one with
 * `mockRejectedValue`.
 */
export type FakeRedisClient = LooseMock;

export const fakeRedisClient = (): FakeRedisClient => looseMock('redis');

/**
 * A RedisGateway that runs each call's commands on `client` and passes their failures through, as
 * the real one does (without its timeouts, breaker and metrics, which redis-gateway.spec.ts
 * covers). Its methods stay mocks, so a test can also assert operation names or fail a call.
 */
export function fakeRedisGateway(client: FakeRedisClient): Mocked<RedisGateway> {
  const gateway = automock(RedisGateway);
  const redis = client as unknown as RedisClient;
  // Async like the real methods: a command that throws at once becomes a rejection.
  gateway.run.mockImplementation(async (_operation, command) => command(redis));
  gateway.read.mockImplementation(async (_operation, command) => command(redis));
  gateway.background.mockImplementation(async (_operation, command) => command(redis));
  gateway.hashFields.mockImplementation(async (_operation, hashKeys, fields) =>
    redis.hashFields(hashKeys, fields),
  );
  gateway.fireAndForget.mockImplementation((_operation, command) => {
    (async () => command(redis))().catch(() => undefined);
  });
  return gateway;
}

/**
 * A MULTI chain for `redis.multi.mockReturnValue(...)`: every queued command returns the chain
 * (and is recorded in `queued`); `exec` resolves with `replies`, or rejects with an Error given.
 */
export function fakeMulti(replies: unknown[] | Error = []): {
  chain: unknown;
  queued: [string, ...unknown[]][];
} {
  const queued: [string, ...unknown[]][] = [];
  const chain: unknown = new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string' || name === 'then') return undefined;
        if (name === 'exec')
          return () =>
            replies instanceof Error ? Promise.reject(replies) : Promise.resolve(replies);
        return (...args: unknown[]) => {
          queued.push([name, ...args]);
          return chain;
        };
      },
    },
  );
  return { chain, queued };
}

/** A RedisLocks lock that is held until a test sets `lost` (as a failed Postgres session would). */
export function fakeHeldLock(key = 'lock'): HeldLock & { lost: boolean; release: jest.Mock } {
  return { key, lost: false, release: jest.fn(() => Promise.resolve()).mockName('lock.release') };
}
