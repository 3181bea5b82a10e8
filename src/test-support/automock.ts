import { jest } from '@jest/globals';

/** Any class, abstract or not (Nest's ModuleRef is abstract): what a dependency is typed as. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor arguments of any shape
export type Class<T = unknown> = abstract new (...args: any[]) => T;

/** `T` with every method a Jest mock (typed after the real signature). */
export type Mocked<T extends object> = jest.Mocked<T>;

/** Marks the objects `automock` made, so a test can tell them from real values. */
const MOCK = Symbol('automock');

export const isAutomock = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && MOCK in value;

/**
 * A stand-in for an instance of `type`: every method on its prototype chain is a named Jest mock
 * that returns undefined until the test says otherwise. The class is never instantiated (its
 * constructor may connect, register listeners or start timers). Fields and getters are absent:
 * a test that needs one sets it on the mock.
 */
export function automock<T extends object>(type: Class<T>): Mocked<T> {
  const mock: Record<string | symbol, unknown> = { [MOCK]: type.name };
  for (
    let proto = type.prototype as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in mock) continue;
      const value: unknown = Object.getOwnPropertyDescriptor(proto, name)!.value;
      if (typeof value === 'function') mock[name] = jest.fn().mockName(`${type.name}.${name}`);
    }
  }
  return mock as Mocked<T>;
}

/** A mock of anything: loosely typed (a method mock's signature is unknown to the test). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type LooseMock = Record<string, jest.Mock<(...args: any[]) => any>>;

/** Properties that must not look like methods (`then` would make the mock a thenable). */
const NOT_METHODS = new Set(['then', 'toJSON', 'asymmetricMatch', 'constructor', 'nodeType']);

/**
 * A stand-in for a value whose type has no class at run time (an interface, a third-party type
 * injected by token): any method, created on first use, a named Jest mock resolving to undefined.
 */
export function looseMock(label: string): LooseMock {
  const methods: Record<string | symbol, unknown> = { [MOCK]: label };
  return new Proxy(methods as LooseMock, {
    get(target, name) {
      if (typeof name !== 'string' || NOT_METHODS.has(name)) return undefined;
      target[name] ??= jest.fn(() => Promise.resolve(undefined)).mockName(`${label}.${name}`);
      return target[name];
    },
  });
}
