import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const REQUEST_ID = Symbol('requestId');
const ACCEPTABLE_ID = /^[\w.:-]{1,64}$/;

/**
 * The request id: the caller's `x-request-id` when it is a sane token, otherwise a new UUID.
 * Memoised on the raw request so Fastify and the access logger agree on one id.
 */
export function requestIdOf(raw: IncomingMessage): string {
  const holder = raw as IncomingMessage & { [REQUEST_ID]?: string };
  if (holder[REQUEST_ID] === undefined) {
    const offered = raw.headers['x-request-id'];
    holder[REQUEST_ID] =
      typeof offered === 'string' && ACCEPTABLE_ID.test(offered) ? offered : randomUUID();
  }
  return holder[REQUEST_ID];
}
