import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { OpenAPIObject } from '@nestjs/swagger';

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  items?: Schema;
};

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  schema?: Schema;
}

/** One route of the OpenAPI document, as the fuzzer drives it. */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

/** Who a request claims to be. The real ones get past auth; the rest must be 401s. */
export type AuthChoice =
  | 'none'
  | 'author'
  | 'reader'
  | 'admin'
  | 'alg-none'
  | 'other-secret'
  | 'expired'
  | 'tampered'
  | 'garbage'
  | 'basic'
  | 'scheme-only';

/** A request as generated: replayable from the printed seed. */
export interface FuzzRequest {
  operation: Operation;
  url: string;
  auth: AuthChoice;
  contentType?: string;
  /** A JSON value to serialise, or raw text sent as is. */
  body?: { json: unknown } | { raw: string };
}

/** Names of live fixtures, so that valid path values reach the handlers. */
export interface Fixtures {
  usernames: string[];
  slugs: string[];
  commentIds: number[];
  emails: string[];
  password: string;
}

export function operationsOf(document: OpenAPIObject): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'delete'] as const) {
      const operation = (item as Record<string, unknown>)[method] as
        | {
            parameters?: Parameter[];
            requestBody?: { content?: Record<string, { schema?: Schema }> };
          }
        | undefined;
      if (!operation) continue;
      const body = operation.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method,
        path,
        parameters: operation.parameters ?? [],
        body: body ? resolve(document, body) : undefined,
      });
    }
  }
  return operations;
}

/** Inlines `$ref`s (the DTO schemas are small and acyclic). */
function resolve(document: OpenAPIObject, schema: Schema): Schema {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() ?? '';
    return resolve(document, document.components?.schemas?.[name] as Schema);
  }
  const resolved: Schema = { ...schema };
  if (schema.properties) {
    resolved.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [key, resolve(document, value)]),
    );
  }
  if (schema.items) resolved.items = resolve(document, schema.items);
  return resolved;
}

/** The value once in `every` draws, otherwise undefined (fc.option's freq is the other way round). */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: every - 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary },
  );
}

/** Strings that broke, or could break, something below validation. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\udc00\ud800',
  '💩',
  'é\u0301',
  '\u202eevil',
  '\ufeff',
  'a\u0007b',
  '\r\n',
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '{slot}',
  '%00',
  '1e309',
  'x'.repeat(300),
  'x'.repeat(20_000),
];

const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    2 ** 31,
    -(2 ** 53),
    Number.MAX_SAFE_INTEGER * 10,
    1e308,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      {},
      { a: 1 },
      JSON.parse('{"__proto__": {"admin": true}}'),
      { constructor: { prototype: { admin: true } } },
      [[[]]],
    ),
  },
);

/** A value the field accepts (by name for the fields whose rules the schema cannot carry). */
function validValue(name: string, schema: Schema, fixtures: Fixtures): fc.Arbitrary<unknown> {
  const n = fc.integer({ min: 1, max: 1_000_000_000 });
  switch (name) {
    case 'email':
      return fc.oneof(
        fc.constantFrom(...fixtures.emails),
        n.map((i) => `fuzz${i}@example.com`),
      );
    case 'username':
      return n.map((i) => `fuzz${i}`);
    case 'password':
      // Always the fixtures' password: a successful change must not lock the fuzzer out.
      return fc.constant(fixtures.password);
    case 'image':
      return fc.constantFrom('https://example.com/a.png', '', null);
    case 'bio':
      return fc.oneof(fc.string({ maxLength: 50 }), fc.constant(null));
    default:
      break;
  }
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.type === 'number' || schema.type === 'integer') {
    return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 1000) });
  }
  if (schema.type === 'boolean') return fc.boolean();
  if (schema.type === 'array') {
    return fc.array(validValue(name, schema.items ?? { type: 'string' }, fixtures), {
      maxLength: 3,
    });
  }
  if (schema.type === 'object' && schema.properties) return objectFor(schema, fixtures);
  return fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== '');
}

function fieldValue(name: string, schema: Schema, fixtures: Fixtures): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: validValue(name, schema, fixtures) },
    { weight: 2, arbitrary: hostileValue },
  );
}

/** An object of the schema's shape, fields sometimes left out, sometimes joined by strangers. */
function objectFor(schema: Schema, fixtures: Fixtures): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.properties ?? {});
  return fc
    .tuple(
      fc.tuple(
        ...entries.map(([name, property]) =>
          fc.option(
            property.type === 'object' && property.properties
              ? fc.oneof(
                  { weight: 4, arbitrary: objectFor(property, fixtures) },
                  { weight: 1, arbitrary: hostileValue },
                )
              : fieldValue(name, property, fixtures),
            { freq: 5, nil: undefined },
          ),
        ),
      ),
      sometimes(fc.constantFrom('role', 'admin', 'id', '__proto__', 'a\u0000b'), 8),
    )
    .map(([values, stranger]) => {
      const result: Record<string, unknown> = {};
      entries.forEach(([name], i) => {
        if (values[i] !== undefined) result[name] = values[i];
      });
      if (stranger !== undefined) {
        Object.defineProperty(result, stranger, { value: 'x', enumerable: true });
      }
      return result;
    });
}

/** Percent-encodes like a client, including sequences no valid client sends. */
function encodeHostile(value: unknown): fc.Arbitrary<string> {
  const text = String(value);
  const wellFormed = !/\p{Surrogate}/u.test(text);
  return fc.constant(wellFormed ? encodeURIComponent(text) : '%ED%A0%80');
}

const RAW_SEGMENTS = ['%00', '%ED%A0%80', '%FF', '%', '..', '%2e%2e', '%2F', '%25', ''];

function pathValue(parameter: Parameter, fixtures: Fixtures): fc.Arbitrary<string> {
  const valid =
    parameter.name === 'username'
      ? fc.constantFrom(...fixtures.usernames)
      : parameter.name === 'slug'
        ? fc.constantFrom(...fixtures.slugs)
        : parameter.name === 'id'
          ? fc.constantFrom(...fixtures.commentIds.map(String))
          : validValue(parameter.name, parameter.schema ?? {}, fixtures).map(String);
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
    { weight: 2, arbitrary: hostileScalar.chain(encodeHostile) },
  );
}

function queryPart(parameter: Parameter, fixtures: Fixtures): fc.Arbitrary<string | undefined> {
  const value = fc.oneof(
    {
      weight: 3,
      arbitrary: validValue(parameter.name, parameter.schema ?? {}, fixtures).chain(encodeHostile),
    },
    { weight: 2, arbitrary: hostileScalar.chain(encodeHostile) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
  return fc.option(
    fc.oneof(
      { weight: 5, arbitrary: value.map((v) => `${parameter.name}=${v}`) },
      { weight: 1, arbitrary: value.map((v) => `${parameter.name}=${v}&${parameter.name}=${v}`) },
      { weight: 1, arbitrary: value.map((v) => `${parameter.name}[a]=${v}`) },
    ),
    { freq: 2, nil: undefined },
  );
}

const STRANGE_QUERY = [
  'foo=bar',
  '__proto__[x]=1',
  'constructor[prototype][x]=1',
  'a%00=1',
  '=',
  '&&',
  'limit',
];

function urlFor(operation: Operation, fixtures: Fixtures): fc.Arbitrary<string> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  return fc
    .tuple(
      fc.tuple(...pathParams.map((p) => pathValue(p, fixtures))),
      fc.tuple(...queryParams.map((p) => queryPart(p, fixtures))),
      sometimes(fc.constantFrom(...STRANGE_QUERY), 6),
    )
    .map(([pathValues, queryValues, strange]) => {
      let path = operation.path;
      pathParams.forEach((p, i) => {
        path = path.replace(`{${p.name}}`, pathValues[i]);
      });
      const query = [...queryValues, strange].filter((q): q is string => q !== undefined);
      return query.length > 0 ? `${path}?${query.join('&')}` : path;
    });
}

const RAW_BODIES = [
  '',
  '{',
  '{"user":',
  '[]',
  'null',
  '"text"',
  '1e999',
  '\ufeff{}',
  '{"a":1,"a":2}',
  '{"__proto__":{"admin":true}}',
  `${'['.repeat(50)}${']'.repeat(50)}`,
  `${'{"a":'.repeat(50)}1${'}'.repeat(50)}`,
  `{"user":${'['.repeat(3000)}${']'.repeat(3000)}}`,
  '{"user":{"email":"\\ud800"}}',
  '{"article":{"body":"\\u0000"}}',
];

function bodyFor(operation: Operation, fixtures: Fixtures): fc.Arbitrary<FuzzRequest['body']> {
  const raw = fc.constantFrom(...RAW_BODIES).map((text) => ({ raw: text }));
  if (!operation.body) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: raw },
      { weight: 1, arbitrary: hostileValue.map((json) => ({ json })) },
    );
  }
  return fc.oneof(
    { weight: 8, arbitrary: objectFor(operation.body, fixtures).map((json) => ({ json })) },
    { weight: 1, arbitrary: raw },
    { weight: 1, arbitrary: hostileValue.map((json) => ({ json })) },
  );
}

const AUTH: fc.Arbitrary<AuthChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<AuthChoice>('author', 'reader', 'admin') },
  { weight: 2, arbitrary: fc.constant<AuthChoice>('none') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<AuthChoice>(
      'alg-none',
      'other-secret',
      'expired',
      'tampered',
      'garbage',
      'basic',
      'scheme-only',
    ),
  },
);

const CONTENT_TYPES = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/xml',
      'application/vnd.api+json',
    ),
  },
);

export function requestFor(operation: Operation, fixtures: Fixtures): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      url: urlFor(operation, fixtures),
      auth: AUTH,
      contentType: CONTENT_TYPES,
      body: bodyFor(operation, fixtures),
    })
    .map(({ url, auth, contentType, body }) => ({
      operation,
      url,
      auth,
      contentType: body === undefined ? undefined : contentType,
      body,
    }));
}

const base64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 (or unsigned) JWT, for forgeries the server must refuse. */
export function signJwt(payload: object, secret: string, alg: 'HS256' | 'none' = 'HS256'): string {
  const unsigned = `${base64url({ alg, typ: 'JWT' })}.${base64url(payload)}`;
  if (alg === 'none') return `${unsigned}.`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
