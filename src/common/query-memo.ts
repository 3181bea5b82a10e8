import type { Type } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

/**
 * A bounded memo of successfully validated query strings, per DTO class (see RealWorldValidationPipe).
 * Hot list routes receive the same few queries over and over, and validating one is a pure function
 * of its content, so the DTO instance built from it the first time can be copied instead of running
 * class-transformer and class-validator again.
 */

/** Entries kept per DTO class: far more than the distinct queries a hot route sees. */
export const QUERY_MEMO_ENTRIES = 512;

/**
 * Longest key remembered. The DTOs cap every string at 64 characters, but a number field accepts
 * `limit=000…0020` of any length, so without this cap each entry could hold a URL-sized key.
 */
export const QUERY_MEMO_MAX_KEY_LENGTH = 512;

/**
 * Keys Nest's ValidationPipe deletes from the value in place before validating (its guard against
 * prototype pollution). Fastify's query object has a null prototype, so they can be own keys; a
 * query holding one goes the slow way every time, so a hit never skips a change to request.query
 * the pipe would have made.
 */
const STRIPPED_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

type Field = string | number | boolean | bigint | null | undefined;
type StoredDto = Readonly<Record<string, Field | readonly Field[]>>;

/**
 * The memo key of a raw query object, or undefined when it is not a plain query (values other than
 * strings and dense arrays of strings, a stripped key, too long). JSON of the entries in insertion
 * order: JSON escapes every string and keeps `["a","b"]` apart from `"a,b"`, so two different queries
 * never share a key. `?a=1&b=2` and `?b=2&a=1` get separate entries, which costs only a slot.
 */
export function queryMemoKey(query: unknown): string | undefined {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return undefined;
  const entries: [string, string | string[]][] = [];
  for (const name of Object.keys(query)) {
    if (STRIPPED_KEYS.has(name)) return undefined;
    const value = (query as Record<string, unknown>)[name];
    if (typeof value === 'string') {
      entries.push([name, value]);
    } else if (Array.isArray(value) && isDenseStringArray(value)) {
      entries.push([name, value]);
    } else {
      return undefined;
    }
  }
  const key = JSON.stringify(entries);
  return key.length <= QUERY_MEMO_MAX_KEY_LENGTH ? key : undefined;
}

function isDenseStringArray(values: unknown[]): values is string[] {
  for (let i = 0; i < values.length; i++) {
    // A hole reads as undefined, so a sparse array is refused here too.
    if (typeof values[i] !== 'string') return false;
  }
  return true;
}

function isField(value: unknown): value is Field {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/**
 * A frozen copy of a validated DTO, or undefined when one of its fields is an object (a nested DTO,
 * a Date): a shallow copy of such a field would be shared between requests.
 */
function storable(dto: object): StoredDto | undefined {
  const stored = Object.create(Object.getPrototypeOf(dto) as object | null) as Record<
    string,
    Field | readonly Field[]
  >;
  for (const [name, value] of Object.entries(dto)) {
    if (isField(value)) {
      stored[name] = value;
    } else if (Array.isArray(value) && value.every(isField)) {
      stored[name] = Object.freeze(value.slice());
    } else {
      return undefined;
    }
  }
  return Object.freeze(stored);
}

/**
 * A fresh instance of the DTO's class with the stored fields, arrays copied: the handler may mutate
 * what it receives without changing what the next request gets.
 */
function copyOf(stored: StoredDto): object {
  const copy = Object.create(Object.getPrototypeOf(stored) as object | null) as Record<
    string,
    unknown
  >;
  for (const name of Object.keys(stored)) {
    const value = stored[name];
    copy[name] = Array.isArray(value) ? value.slice() : value;
  }
  return copy;
}

export class QueryMemo {
  // DTO classes are a fixed set from the code, so this outer map is bounded by the program. Each
  // class keeps its least recently used queries out, so a stream of one-off queries cannot push
  // a hot one out.
  private readonly byClass = new Map<Type<unknown>, LRUCache<string, StoredDto>>();

  constructor(private readonly entriesPerClass = QUERY_MEMO_ENTRIES) {}

  /** A fresh copy of the DTO validated earlier from this key, or undefined. */
  get(metatype: Type<unknown>, key: string): object | undefined {
    const stored = this.byClass.get(metatype)?.get(key);
    return stored === undefined ? undefined : copyOf(stored);
  }

  /** Remembers a successful validation; the caller keeps (and may hand out) `dto` itself. */
  set(metatype: Type<unknown>, key: string, dto: unknown): void {
    if (typeof dto !== 'object' || dto === null) return;
    // Only an instance of the class itself: anything else is not what the handler declared.
    if (Object.getPrototypeOf(dto) !== metatype.prototype) return;
    const stored = storable(dto);
    if (stored === undefined) return;
    let entries = this.byClass.get(metatype);
    if (entries === undefined) {
      entries = new LRUCache({ max: this.entriesPerClass });
      this.byClass.set(metatype, entries);
    }
    entries.set(key, stored);
  }

  /** How many queries of this DTO class are remembered (for tests and diagnostics). */
  size(metatype: Type<unknown>): number {
    return this.byClass.get(metatype)?.size ?? 0;
  }
}
