import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { NotFoundError } from '../common/domain-error.js';
import { RedisKeys } from '../redis/keys.js';
import { CacheAsideService } from './cache-aside.service.js';
import { CacheTagsService } from './cache-tags.service.js';
import { RouteInputValidator } from './route-input-validator.js';
import { CACHED_OPTIONS, type CachedOptions } from './cached.decorator.js';

/** The Redis key of a cached response; services use it to evict one precisely. */
export function cachedResponseKey(
  keys: RedisKeys,
  name: string,
  key: string,
  version = '',
): string {
  return keys.httpResponse(name, `${version}|${key}`);
}

/** A "not found" remembered as a negative entry carries its message back out. */
class CachedNotFound {
  constructor(readonly message: string) {}
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
    const shared = await this.sharedValue(options, request, next);
    if (shared instanceof CachedNotFound) throw new NotFoundError(shared.message);
    return shared;
  }

  private async sharedValue(
    options: CachedOptions,
    request: FastifyRequest,
    next: CallHandler,
  ): Promise<unknown> {
    const key = options.key(request);
    const version = key === null ? null : await this.tags.versionOf(options.tags ?? []);
    const handle = (): Promise<unknown> => lastValueFrom(next.handle());
    if (key === null || version === null) return handle();
    let notFound: CachedNotFound | undefined;
    const value = await this.cache.get<unknown>(
      cachedResponseKey(this.keys, options.name, key, version),
      async () => {
        try {
          return await handle();
        } catch (error) {
          // Remember "no such thing" (negative entry); any other error is not cached.
          if (!(error instanceof NotFoundError)) throw error;
          notFound = new CachedNotFound(error.message);
          return null;
        }
      },
      this.cache.policy(options.name, options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}),
    );
    if (value === null)
      return notFound ?? new CachedNotFound(options.notFoundMessage ?? 'not found');
    return value;
  }
}
