import { jest } from '@jest/globals';
import { type ArgumentMetadata, HttpException, ValidationPipe } from '@nestjs/common';
import { Allow, IsOptional } from 'class-validator';
import { ListArticlesQuery, NewArticleRequest } from '../articles/dto/article-requests.dto.js';
import { QUERY_MEMO_MAX_KEY_LENGTH, QueryMemo, queryMemoKey } from './query-memo.js';
import { RealWorldValidationPipe } from './validation.js';

/** A query DTO that keeps `tag` as it came: a string, or an array of strings. */
class RawTagQuery {
  @IsOptional() @Allow() tag?: string | string[];
}

const listQuery: ArgumentMetadata = { type: 'query', metatype: ListArticlesQuery };
const rawTagQuery: ArgumentMetadata = { type: 'query', metatype: RawTagQuery };

/** Fastify's query objects have a null prototype; build them the same way. */
function query(fields: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.assign(Object.create(null) as Record<string, string | string[]>, fields);
}

/** The status and body of the error `transform` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpException))
    throw new Error(`expected an HttpException, got ${String(error)}`);
  return { status: error.getStatus(), body: error.getResponse() };
}

describe('RealWorldValidationPipe query memo', () => {
  let memo: QueryMemo;
  let sut: RealWorldValidationPipe;
  let validations: jest.SpiedFunction<ValidationPipe['transform']>;

  beforeEach(() => {
    memo = new QueryMemo(4);
    sut = new RealWorldValidationPipe(memo);
    // `super.transform` is looked up on ValidationPipe.prototype at call time, so this counts the
    // full class-transformer + class-validator runs.
    validations = jest.spyOn(ValidationPipe.prototype, 'transform');
  });

  afterEach(() => validations.mockRestore());

  it('answers a repeated query from the memo with an equal but distinct DTO instance', async () => {
    const first = await sut.transform(query({ limit: '20', tag: 'dragons' }), listQuery);
    const second = await sut.transform(query({ limit: '20', tag: 'dragons' }), listQuery);

    expect(validations).toHaveBeenCalledTimes(1);
    expect(second).toBeInstanceOf(ListArticlesQuery);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    // The query's string was converted by the DTO's @Type(() => Number), on a hit too.
    expect((second as ListArticlesQuery).limit).toBe(20);
    expect((second as ListArticlesQuery).tag).toBe('dragons');
  });

  it('is not poisoned by a handler that mutates what it received', async () => {
    const first = (await sut.transform(query({ tag: ['a', 'b'] }), rawTagQuery)) as RawTagQuery;
    (first.tag as string[]).push('from the first handler');
    const second = (await sut.transform(query({ tag: ['a', 'b'] }), rawTagQuery)) as RawTagQuery;
    (second.tag as string[]).push('from the second handler');
    second.tag = 'replaced';
    const third = (await sut.transform(query({ tag: ['a', 'b'] }), rawTagQuery)) as RawTagQuery;

    expect(validations).toHaveBeenCalledTimes(1);
    expect(third.tag).toEqual(['a', 'b']);
    expect(third).toBeInstanceOf(RawTagQuery);
  });

  it('never remembers a rejected query: each time validated again, with the same 422', async () => {
    const first = await rejection(sut.transform(query({ limit: '0' }), listQuery));
    const second = await rejection(sut.transform(query({ limit: '0' }), listQuery));

    expect(first).toEqual({
      status: 422,
      body: { errors: { limit: ['limit must not be less than 1'] } },
    });
    expect(second).toEqual(first);
    expect(validations).toHaveBeenCalledTimes(2);
    expect(memo.size(ListArticlesQuery)).toBe(0);
  });

  it('still screens unsafe strings (NUL, lone surrogates), and never remembers them', async () => {
    for (let i = 0; i < 2; i++) {
      expect(await rejection(sut.transform(query({ tag: 'a\u0000b' }), listQuery))).toEqual({
        status: 422,
        body: { errors: { tag: ['tag must not contain NUL characters'] } },
      });
      expect(await rejection(sut.transform(query({ author: '\ud800' }), listQuery))).toEqual({
        status: 422,
        body: { errors: { author: ['author must be valid Unicode (no lone surrogates)'] } },
      });
    }
    expect(memo.size(ListArticlesQuery)).toBe(0);
  });

  it('keeps arrays and comma-joined strings apart', async () => {
    const joined = await sut.transform(query({ tag: 'a,b' }), rawTagQuery);
    const repeated = await sut.transform(query({ tag: ['a', 'b'] }), rawTagQuery);
    const joinedAgain = await sut.transform(query({ tag: 'a,b' }), rawTagQuery);
    const repeatedAgain = await sut.transform(query({ tag: ['a', 'b'] }), rawTagQuery);

    expect(validations).toHaveBeenCalledTimes(2);
    expect(joined).toEqual(Object.assign(new RawTagQuery(), { tag: 'a,b' }));
    expect(repeated).toEqual(Object.assign(new RawTagQuery(), { tag: ['a', 'b'] }));
    expect(joinedAgain).toEqual(joined);
    expect(repeatedAgain).toEqual(repeated);
  });

  it('keeps apart the same query validated against different DTO classes', async () => {
    await sut.transform(query({ tag: 'a' }), rawTagQuery);
    const list = await sut.transform(query({ tag: 'a' }), listQuery);

    expect(validations).toHaveBeenCalledTimes(2);
    expect(list).toBeInstanceOf(ListArticlesQuery);
  });

  it('holds at most its bound per DTO class, dropping the least recently used query', async () => {
    await sut.transform(query({ limit: '1' }), listQuery);
    for (let offset = 0; offset < 10; offset++) {
      await sut.transform(query({ offset: String(offset) }), listQuery);
      // The hot query is asked for between the one-off ones, so it stays.
      await sut.transform(query({ limit: '1' }), listQuery);
    }
    expect(memo.size(ListArticlesQuery)).toBe(4);
    expect(validations).toHaveBeenCalledTimes(11);

    await sut.transform(query({ offset: '0' }), listQuery);
    expect(validations).toHaveBeenCalledTimes(12);
  });

  it('validates bodies, path parameters and single query fields every time', async () => {
    const body = { article: { title: 't', description: 'd', body: 'b' } };
    const cases: [unknown, ArgumentMetadata][] = [
      [body, { type: 'body', metatype: NewArticleRequest }],
      [query({ limit: '20' }), { type: 'param', metatype: ListArticlesQuery }],
      ['20', { type: 'query', data: 'limit', metatype: String }],
    ];
    for (const [value, metadata] of cases) {
      validations.mockClear();
      await sut.transform(structuredClone(value), metadata);
      await sut.transform(structuredClone(value), metadata);
      expect(validations).toHaveBeenCalledTimes(2);
    }
  });

  it('validates every time a query holding a key Nest strips in place', async () => {
    const first = await sut.transform(query({ limit: '5', constructor: 'x' }), listQuery);
    await sut.transform(query({ limit: '5', constructor: 'x' }), listQuery);

    expect(first).toEqual(Object.assign(new ListArticlesQuery(), { limit: 5 }));
    expect(validations).toHaveBeenCalledTimes(2);
    expect(memo.size(ListArticlesQuery)).toBe(0);
  });

  it('does not remember a valid query longer than the key cap', async () => {
    const limit = `${'0'.repeat(QUERY_MEMO_MAX_KEY_LENGTH)}20`;
    const dto = await sut.transform(query({ limit }), listQuery);

    expect((dto as ListArticlesQuery).limit).toBe(20);
    expect(memo.size(ListArticlesQuery)).toBe(0);
  });
});

describe('queryMemoKey', () => {
  it('gives different queries different keys', () => {
    const fields: Record<string, string | string[]>[] = [
      {},
      { tag: 'a' },
      { tag: 'a,b' },
      { tag: ['a', 'b'] },
      { tag: ['a,b'] },
      { tag: ['a'] },
      { tag: [] },
      { tag: '' },
      { tag: 'a', b: '' },
      { 'tag","b': '' },
      { tag: 'a","b' },
      { limit: '20' },
      { limit: '20', offset: '0' },
      { offset: '0', limit: '20' },
      { limit: '020' },
    ];
    const queries = fields.map(query);
    const keys = queries.map(queryMemoKey);

    expect(keys.every((key) => typeof key === 'string')).toBe(true);
    expect(new Set(keys).size).toBe(queries.length);
  });

  it('refuses values no query string parser produces', () => {
    const odd: unknown[] = [
      null,
      'limit=20',
      ['20'],
      { limit: 20 },
      { tag: ['a', 1] },
      // eslint-disable-next-line no-sparse-arrays
      { tag: ['a', , 'b'] },
      { tag: { nested: 'a' } },
      // JSON.parse makes `__proto__` an own key, as Fastify's parser does.
      query(JSON.parse('{"__proto__":"x"}') as Record<string, string>),
      query({ prototype: 'x' }),
    ];
    for (const value of odd) expect(queryMemoKey(value)).toBeUndefined();
  });
});
