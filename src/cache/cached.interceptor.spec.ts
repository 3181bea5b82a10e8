import { jest } from '@jest/globals';
import {
  type CallHandler,
  type ExecutionContext,
  Query,
  UnprocessableEntityException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IsNumberString, IsOptional } from 'class-validator';
import { defer, lastValueFrom } from 'rxjs';
import { NotFoundError } from '../common/domain-error.js';
import { RedisKeys } from '../redis/keys.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { CacheAsideService } from './cache-aside.service.js';
import { CacheTagsService } from './cache-tags.service.js';
import type { CachedOptions } from './cached.decorator.js';
import { CachedInterceptor, cachedResponseKey } from './cached.interceptor.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);

class PageQuery {
  @IsOptional() @IsNumberString() limit?: string;
}

/** A route with a validated query, as the interceptor finds it through Nest's metadata. */
class PagesController {
  list(@Query() query: PageQuery): PageQuery {
    return query;
  }
}

describe('CachedInterceptor', () => {
  let sut: CachedInterceptor;
  let cache: Mocked<CacheAsideService>;
  let tags: Mocked<CacheTagsService>;
  let options: CachedOptions;
  let handler: jest.Mock<() => Promise<unknown>>;

  beforeEach(() => {
    const service = newTestService(CachedInterceptor);
    sut = service.sut;
    cache = service.mock(CacheAsideService);
    tags = service.mock(CacheTagsService);
    service.mock(Reflector).get.mockImplementation(() => options);
    tags.versionOf.mockResolvedValue('articles=3');
    options = { name: 'pages', key: (request) => String(request.url), tags: ['articles'] };
    handler = jest.fn(() => Promise.resolve<unknown>({ n: 1 }));
  });

  /** One request through the interceptor and (unless answered from the cache) the handler. */
  const request = (fields: Partial<FastifyRequest> = {}): Promise<unknown> => {
    const req = { url: '/pages', query: {}, params: {}, ...fields } as FastifyRequest;
    const context = {
      getClass: () => PagesController,
      getHandler: () => PagesController.prototype.list,
      switchToHttp: () => ({ getRequest: () => req }),
    } as unknown as ExecutionContext;
    const next: CallHandler = { handle: () => defer(() => handler()) };
    return lastValueFrom(sut.intercept(context, next));
  };

  it('caches under the route’s key and the generations of its tags', async () => {
    expect(await request({ url: '/pages?x' })).toEqual({ n: 1 });
    expect(tags.versionOf).toHaveBeenCalledWith(['articles']);
    expect(cache.get).toHaveBeenCalledWith(
      cachedResponseKey(keys, 'pages', '/pages?x', 'articles=3'),
      expect.any(Function),
      expect.objectContaining({ name: 'pages' }),
    );
  });

  it('answers a warm entry without running the handler', async () => {
    cache.get.mockResolvedValue({ n: 2 });
    expect(await request()).toEqual({ n: 2 });
    expect(handler).not.toHaveBeenCalled();
  });

  it('passes the route’s TTL to the cache policy', async () => {
    options = { ...options, ttlSeconds: 60 };
    await request();
    expect(cache.policy).toHaveBeenCalledWith('pages', { ttlSeconds: 60 });
  });

  it('bypasses the cache when the route gives no key for the request', async () => {
    options = { ...options, key: () => null };
    expect(await request()).toEqual({ n: 1 });
    expect(tags.versionOf).not.toHaveBeenCalled();
    expect(cache.get).not.toHaveBeenCalled();
  });

  it('bypasses the cache when Redis cannot tell the tags’ generations', async () => {
    tags.versionOf.mockResolvedValue(null);
    expect(await request()).toEqual({ n: 1 });
    expect(handler).toHaveBeenCalled();
    expect(cache.get).not.toHaveBeenCalled();
  });

  it('passes errors on without caching them', async () => {
    handler.mockRejectedValue(new NotFoundError('gone'));
    await expect(request()).rejects.toStrictEqual(new NotFoundError('gone'));
    const [, load] = cache.get.mock.calls[0];
    await expect(load()).rejects.toThrow('gone');
  });

  it('validates the query before the lookup, so a warm cache rejects what a cold one would', async () => {
    cache.get.mockResolvedValue({ n: 2 });
    await expect(request({ query: { limit: 'many' } })).rejects.toBeInstanceOf(
      UnprocessableEntityException,
    );
    await expect(request({ query: { limit: '5', extra: '1' } })).rejects.toBeInstanceOf(
      UnprocessableEntityException,
    );
    expect(cache.get).not.toHaveBeenCalled();
    expect(await request({ query: { limit: '5' } })).toEqual({ n: 2 });
  });
});
