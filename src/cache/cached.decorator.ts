import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { CACHED_OPTIONS, CachedInterceptor, type CachedOptions } from './cached.interceptor.js';

export type { CachedOptions };

/**
 * Caches what the handler returns through CacheAsideService (jitter, single-flight, leases,
 * fall-through) under a key the route chooses. Only for
 * responses that are the same for every viewer (the tag list): a route whose answer depends on
 * the viewer calls a service that caches the shared part itself (articles, lists, profiles).
 */
export const Cached = (options: CachedOptions) =>
  applyDecorators(SetMetadata(CACHED_OPTIONS, options), UseInterceptors(CachedInterceptor));
