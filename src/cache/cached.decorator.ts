import { applyDecorators, SetMetadata, type Type, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../auth/auth-context.js';
import { CachedInterceptor } from './cached.interceptor.js';

/** Turns a cached, viewer-independent value into the response for one viewer. */
export interface ResponsePersonalizer<Shared = unknown, Personal = unknown> {
  personalize(shared: Shared, viewer: AuthContext | undefined): Promise<Personal>;
}

export interface CachedOptions {
  /** Cache family: metric label and key namespace. */
  name: string;
  /** The entry's key from the request (params, query); null = do not cache this request. */
  key: (request: FastifyRequest) => string | null;
  /** Tags whose generation is part of the key: bumping one invalidates the entry. */
  tags?: string[];
  /** TTL override in seconds (jitter and negative TTL come from the CACHE_* settings). */
  ttlSeconds?: number;
  /** Message of the 404 answered from a negative entry (the handler's own on a miss). */
  notFoundMessage?: string;
  /** Applied after the cache: adds the viewer's flags to the shared value. */
  personalize?: Type<ResponsePersonalizer>;
}

export const CACHED_OPTIONS = Symbol('cached:options');

/**
 * Caches what the handler returns through CacheAsideService (jitter, negative entries for
 * NotFoundError, single-flight, leases, fall-through). The handler must return viewer-independent
 * data; anything viewer-specific is added afterwards by `personalize`, so a cached response never
 * carries one user's flags to another.
 */
export const Cached = (options: CachedOptions) =>
  applyDecorators(SetMetadata(CACHED_OPTIONS, options), UseInterceptors(CachedInterceptor));
