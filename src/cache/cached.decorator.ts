import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CachedInterceptor } from './cached.interceptor.js';

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

/**
 * Caches what the handler returns through CacheAsideService (jitter, single-flight, leases,
 * fall-through) under a key the route chooses. Only for
 * responses that are the same for every viewer (the tag list): a route whose answer depends on
 * the viewer calls a service that caches the shared part itself (articles, lists, profiles).
 */
export const Cached = (options: CachedOptions) =>
  applyDecorators(SetMetadata(CACHED_OPTIONS, options), UseInterceptors(CachedInterceptor));
