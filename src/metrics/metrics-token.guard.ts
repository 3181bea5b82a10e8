import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';

/**
 * `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>` when a token is configured (always in
 * production: the app refuses to start without one), so counters of internals stay private.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(env: Env) {
    this.expected =
      env.METRICS_TOKEN === '' ? undefined : Buffer.from(`Bearer ${env.METRICS_TOKEN}`);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const offered = Buffer.from(header);
    if (offered.length !== this.expected.length || !timingSafeEqual(offered, this.expected)) {
      throw new UnauthorizedError('metrics need "Authorization: Bearer <METRICS_TOKEN>"');
    }
    return true;
  }
}
