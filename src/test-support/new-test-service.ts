import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { PARAMTYPES_METADATA, SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import type { EntityManager } from 'typeorm';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { Env } from '../config/env.schema.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import {
  automock,
  isAutomock,
  looseMock,
  type Class,
  type LooseMock,
  type Mocked,
} from './automock.js';
import { fakeCacheAside } from './fake-cache.js';
import { fakeAdvisoryLocks, fakeEntityManager } from './fake-database.js';
import { fakeRedisClient, fakeRedisGateway, type FakeRedisClient } from './fake-redis.js';

// Services log the failures these tests provoke on purpose: keep the test output to the results.
Logger.overrideLogger(false);

/** Key prefix of the RedisKeys every test service gets (so expected keys can be built alike). */
export const TEST_KEY_PREFIX = 'test:';

/** What Nest injects a parameter by: its `@Inject()` token when it declares one, else its type. */
export type Token = Class | string | symbol;

/** A dependency the test provides itself instead of the default fake. */
export interface Provided {
  token: Token;
  value: unknown;
}

/** Gives `value` to the constructor parameter of this type (e.g. an Env with other settings). */
export function provide<T>(type: Class<T>, value: T): Provided;
/** Gives `value` to the parameter injected by this token (e.g. `@InjectQueue`'s). */
export function provide(token: string | symbol, value: unknown): Provided;
export function provide(token: Token, value: unknown): Provided {
  return { token, value };
}

export interface TestService<S> {
  /** The service under test, built with a fake for each constructor parameter. */
  sut: S;
  /** The mock given for the parameter of type `type` (throws for real values). */
  mock<T extends object>(type: Class<T>): Mocked<T>;
  /** The mock given for the parameter injected by this token (any method is a mock). */
  mock(token: string | symbol): LooseMock;
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
 * `emitDecoratorMetadata`) and `@Inject()` tokens, with a fake for each: a constructor that gains
 * or loses a dependency changes no spec that does not care about it. In the spirit of immich's
 * `newTestService`.
 */
export function newTestService<S>(
  Service: new (...args: never[]) => S,
  ...provided: Provided[]
): TestService<S> {
  const context: Context = { redis: fakeRedisClient(), manager: fakeEntityManager() };
  const values = new Map<Token, unknown>(provided.map(({ token, value }) => [token, value]));
  const args = injectionTokens(Service).map((token) => {
    if (!values.has(token)) values.set(token, fakeFor(token, context));
    return values.get(token);
  });
  const sut = new Service(...(args as never[]));
  const nameOf = (token: Token) => (typeof token === 'function' ? token.name : String(token));
  function mock<T extends object>(type: Class<T>): Mocked<T>;
  function mock(token: string | symbol): LooseMock;
  function mock(token: Token): unknown {
    if (!values.has(token)) throw new Error(`${Service.name} takes no ${nameOf(token)}`);
    const value = values.get(token);
    if (!isAutomock(value)) throw new Error(`${Service.name}'s ${nameOf(token)} is not a mock`);
    return value;
  }
  return {
    sut,
    ...context,
    mock,
    get: <T>(type: Class<T>): T => {
      if (!values.has(type)) throw new Error(`${Service.name} takes no ${type.name}`);
      return values.get(type) as T;
    },
  };
}

/** What `emitDecoratorMetadata` emits for interfaces, type-only imports and primitives. */
const NOT_FAKEABLE = new Set<Token>([Object, String, Number, Boolean]);

/** Each constructor parameter's token: the declared `@Inject()` one, else the emitted type. */
function injectionTokens(Service: Class): Token[] {
  const types = (Reflect.getMetadata(PARAMTYPES_METADATA, Service) ?? []) as (Class | undefined)[];
  if (types.length < Service.length)
    throw new Error(`${Service.name}: no constructor parameter types (is it @Injectable()?)`);
  const declared = (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, Service) ?? []) as {
    index: number;
    param: Token;
  }[];
  const tokens: (Token | undefined)[] = [...types];
  for (const { index, param } of declared) tokens[index] = param;
  return tokens.map((token, index) => {
    if (token === undefined || NOT_FAKEABLE.has(token))
      throw new Error(
        `${Service.name}: parameter ${index} has no class type or token to fake (an interface ` +
          'or a primitive without @Inject); construct this service by hand',
      );
    return token;
  });
}

function fakeFor(token: Token, context: Context): unknown {
  if (typeof token !== 'function') return looseMock(String(token));
  const make = REAL.get(token) ?? FAKES.get(token);
  return make ? make(context) : automock(token as Class<object>);
}
