import { type ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TooManyRequestsError } from '../common/domain-error.js';
import type { Env } from '../config/env.schema.js';
import type { RedisGateway } from '../redis/redis-gateway.js';
import { RedisThrottlerStorage } from '../redis/redis-throttler-storage.js';

/** The account an attempt targets: the normalized email of `{"user": {"email"}}`, if any. */
function accountOf(request: FastifyRequest): string | undefined {
  const user = (request.body as { user?: { email?: unknown } } | undefined)?.user;
  return typeof user?.email === 'string' ? user.email.trim().toLowerCase() : undefined;
}

/**
 * Two limits on login and registration attempts, each per route and per window: per client
 * address (`request.ip`: set TRUST_PROXY behind a proxy) and per account (normalized email).
 * Counted in Redis so they hold across instances (RedisThrottlerStorage).
 */
export function credentialsThrottlerOptions(env: Env, redis: RedisGateway): ThrottlerModuleOptions {
  const ttl = env.THROTTLE_WINDOW_SECONDS * 1000;
  return {
    throttlers: [
      { name: 'address', ttl, limit: env.THROTTLE_ADDRESS_LIMIT },
      {
        name: 'account',
        ttl,
        limit: env.THROTTLE_ACCOUNT_LIMIT,
        getTracker: (request) => accountOf(request as FastifyRequest) ?? '',
        skipIf: (context) =>
          accountOf(context.switchToHttp().getRequest<FastifyRequest>()) === undefined,
      },
    ],
    // The named throttlers would send `Retry-After-account`; the guard sends plain Retry-After.
    setHeaders: false,
    storage: new RedisThrottlerStorage(redis, env.REDIS_KEY_PREFIX),
  };
}

@Injectable()
export class CredentialsThrottlerGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    void context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', String(seconds));
    throw new TooManyRequestsError(`too many attempts; retry in ${seconds} s`);
  }
}

/** Login and registration: throttled per client address and per account. */
export const ThrottleCredentials = () => UseGuards(CredentialsThrottlerGuard);
