import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './realworld-errors.js';

/**
 * Deeper JSON is refused before parsing: no RealWorld body nests beyond 3 levels, and the
 * recursive steps after parsing (class-transformer, class-validator) would otherwise walk
 * whatever depth a client sends until the stack overflows.
 */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of objects and arrays in a JSON text (strings skipped), stopping past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/**
 * The only bodies the API reads are JSON. Replaces Fastify's and Nest's default parsers (JSON,
 * text/plain, urlencoded) with two:
 * - `application/json` (any parameters, e.g. charset): an empty body is no body, as browsers and
 *   the RealWorld suite send `Content-Type: application/json` with nothing on follow, favorite
 *   and deletes; a route that needs a body then answers 422 from validation. Nesting deeper than
 *   {@link MAX_JSON_DEPTH} is 400; otherwise Fastify's own parser (prototype-poisoning checks).
 * - anything else: an empty body is no body too; a non-empty one is 415.
 * Must run before Nest registers its parsers, i.e. with `bodyParser: false` on the application.
 */
export function installBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(
        new BadRequestException(
          errorBody('body', `request body nests deeper than ${MAX_JSON_DEPTH} levels`),
        ),
        undefined,
      );
    }
    void parseJson(request, text, done);
  });
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    done(
      new UnsupportedMediaTypeException(
        errorBody(
          'body',
          'unsupported content type: send JSON with Content-Type: application/json',
        ),
      ),
      undefined,
    );
  });
}
