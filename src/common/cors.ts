import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Env } from '../config/env.schema.js';

type CorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/** Every method a route of the API answers (there is no PATCH route). */
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'];

/**
 * CORS for browser clients on other origins. `allowedHeaders` is left unset on purpose: the
 * preflight then reflects whatever request headers the browser asks for (Authorization,
 * Content-Type, X-Requested-With, X-Request-Id, and anything a client library adds). A fixed
 * list would break a frontend over one extra header, and reflecting costs no safety here:
 * credentials (cookies) are not allowed, the token travels in a header only the calling script
 * can set, and the origin check stays in force.
 */
export function corsOptions(env: Pick<Env, 'CORS_ORIGIN' | 'CORS_MAX_AGE_SECONDS'>): CorsOptions {
  return {
    origin: env.CORS_ORIGIN === '*' ? true : env.CORS_ORIGIN.split(',').map((o) => o.trim()),
    methods: CORS_METHODS,
    exposedHeaders: ['x-request-id'],
    maxAge: env.CORS_MAX_AGE_SECONDS,
  };
}
