import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { RedisKeys } from '../redis/keys.js';
import { CacheAsideService } from './cache-aside.service.js';
import { CacheTagsService } from './cache-tags.service.js';
import { RouteInputValidator } from './route-input-validator.js';

/** What `@Cached` declares on a route (see cached.decorator.ts). */
export interface CachedOptions {
  /** Cache family: metric label and key namespace. */
  name: string;
  /** The entry's key from the request (params, query); null = do not cache this request. */
  key: (request: FastifyRequest) => string | null;
  /** Tags whose generation is part of the key: bumping one invalidates the entry. */
  tags?: string[];
  /** TTL override in seconds (jitter and negative TTL come from the CACHE_* settings). */
  ttlSeconds?: number;
}

export const CACHED_OPTIONS = Symbol('cached:options');

/** The Redis key of a cached response under its tags' generations. */
export function cachedResponseKey(
  keys: RedisKeys,
  name: string,
  key: string,
  version = '',
): string {
  return keys.httpResponse(name, `${version}|${key}`);
}

@Injectable()
export class CachedInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: CacheAsideService,
    private readonly tags: CacheTagsService,
    private readonly keys: RedisKeys,
  ) {}

  private readonly input = new RouteInputValidator();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<CachedOptions>(CACHED_OPTIONS, context.getHandler());
    return from(this.respond(options, context, next));
  }

  private async respond(
    options: CachedOptions,
    context: ExecutionContext,
    next: CallHandler,
  ): Promise<unknown> {
    // Validation first: a request a cold cache would reject must not be answered from a warm one.
    await this.input.validate(context);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = options.key(request);
    const version = key === null ? null : await this.tags.versionOf(options.tags ?? []);
    const handle = (): Promise<unknown> => lastValueFrom(next.handle());
    if (key === null || version === null) return handle();
    // Errors (a 404 too) are not cached: the routes cached this way always have an answer.
    return this.cache.get<unknown>(
      cachedResponseKey(this.keys, options.name, key, version),
      handle,
      this.cache.policy(options.name, options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}),
    );
  }
}
