import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { Env } from '../config/env.schema.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { automock, isAutomock, type Class, type Mocked } from './automock.js';
import { fakeCacheAside } from './fake-cache.js';
import { fakeAdvisoryLocks, fakeEntityManager } from './fake-database.js';
import { fakeRedisClient, fakeRedisGateway, type FakeRedisClient } from './fake-redis.js';

// Services log the failures these tests provoke on purpose: keep the test output to the results.
Logger.overrideLogger(false);

/** Key prefix of the RedisKeys every test service gets (so expected keys can be built alike). */
export const TEST_KEY_PREFIX = 'test:';

/** A dependency the test provides itself instead of the default fake. */
export interface Provided<T = unknown> {
  type: Class<T>;
  value: T;
}

/** Gives `value` to the constructor parameter of type `type` (e.g. an Env with other settings). */
export const provide = <T>(type: Class<T>, value: T): Provided => ({ type, value });

export interface TestService<S> {
  /** The service under test, built with a fake for each constructor parameter. */
  sut: S;
  /** The mock given for the parameter of type `type` (throws for real values). */
  mock<T extends object>(type: Class<T>): Mocked<T>;
  /** The value given for the parameter of type `type`, mock or not. */
  get<T>(type: Class<T>): T;
  /** The commands behind the fake RedisGateway. */
  redis: FakeRedisClient;
  /** The connection the fake AdvisoryLocks run work on. */
  manager: EntityManager;
}

interface Context {
  redis: FakeRedisClient;
  manager: EntityManager;
}

/** Pure values are real: key names, default settings, a private metrics registry. */
const REAL = new Map<Class, () => unknown>([
  [RedisKeys, () => new RedisKeys(TEST_KEY_PREFIX)],
  [Env, () => new Env()],
  [MetricsService, () => new MetricsService()],
]);

/**
 * Infrastructure whose mock behaves like a healthy, empty system by default, so a spec states
 * only what its behaviour depends on. Everything else (repositories, stores, other services) is a
 * plain `automock` returning undefined. The outbox is not here: importing it loads TypeORM's Nest
 * integration, about half a second per spec file; a spec that relies on its transactions passes
 * `provide(OutboxService, fakeOutbox())`.
 */
const FAKES = new Map<Class, (context: Context) => object>([
  [RedisGateway, ({ redis }) => fakeRedisGateway(redis)],
  [AdvisoryLocks, ({ manager }) => fakeAdvisoryLocks(manager)],
  [CacheAsideService, () => fakeCacheAside()],
]);

/**
 * Builds `Service` the way Nest would, from its constructor's parameter types (emitted by
 * `emitDecoratorMetadata`), with a fake for each: a constructor that gains or loses a dependency
 * changes no spec that does not care about it. In the spirit of immich's `newTestService`.
 */
export function newTestService<S>(
  Service: new (...args: never[]) => S,
  ...provided: Provided[]
): TestService<S> {
  const context: Context = { redis: fakeRedisClient(), manager: fakeEntityManager() };
  const values = new Map<Class, unknown>(provided.map(({ type, value }) => [type, value]));
  const types = (Reflect.getMetadata('design:paramtypes', Service) ?? []) as (Class | undefined)[];
  if (types.length < Service.length)
    throw new Error(`${Service.name}: no constructor parameter types (is it @Injectable()?)`);
  const args = types.map((type, index) => {
    if (!type || type === Object || type === String || type === Number || type === Boolean)
      throw new Error(
        `${Service.name}: parameter ${index} has no class type to fake (an interface or a ` +
          'primitive); construct this service by hand',
      );
    if (values.has(type)) return values.get(type);
    const make = REAL.get(type) ?? FAKES.get(type);
    values.set(type, make ? make(context) : automock(type as Class<object>));
    return values.get(type);
  });
  const sut = new Service(...(args as never[]));
  return {
    sut,
    ...context,
    get: <T>(type: Class<T>): T => {
      if (!values.has(type)) throw new Error(`${Service.name} takes no ${type.name}`);
      return values.get(type) as T;
    },
    mock: <T extends object>(type: Class<T>): Mocked<T> => {
      const value = values.get(type);
      if (!isAutomock(value)) throw new Error(`${Service.name}'s ${type.name} is not a mock`);
      return value as Mocked<T>;
    },
  };
}
