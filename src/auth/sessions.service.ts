import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { Env } from '../config/env.schema.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { RedisKeys } from '../redis/keys.js';
import { SessionsRepository } from './sessions.repository.js';

interface CachedSession {
  userId: number;
  expiresAt: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Server-side sessions: what makes a token revocable. Postgres holds them (a Redis restart logs
 * nobody out); Redis caches each under `session:{id}` through the cache-aside service, so the auth
 * guard costs one Redis GET per request, and a revoked session is cached as a negative entry.
 */
@Injectable()
export class SessionsService {
  private readonly policy;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
    private readonly env: Env,
    private readonly outbox: OutboxService,
  ) {
    this.policy = cache.policy('session', {
      ttlSeconds: Math.min(env.CACHE_TTL_SECONDS, env.JWT_TTL_SECONDS),
    });
  }

  async open(userId: number): Promise<{ sessionId: string; expiresAt: Date }> {
    const sessionId = randomUUID();
    const expiresAt = new Date(Date.now() + this.env.JWT_TTL_SECONDS * 1000);
    await this.sessions.create(sessionId, userId, expiresAt);
    return { sessionId, expiresAt };
  }

  /** True when the session exists, belongs to the user, is not revoked and has not expired. */
  async isActive(sessionId: string, userId: number): Promise<boolean> {
    if (!UUID.test(sessionId)) return false;
    const session = await this.cache.get<CachedSession>(
      this.keys.session(sessionId),
      async () => {
        const row = await this.sessions.findActive(sessionId);
        return row ? { userId: row.userId, expiresAt: row.expiresAt.getTime() } : null;
      },
      this.policy,
    );
    return session !== null && session.userId === userId && session.expiresAt > Date.now();
  }

  async revoke(sessionId: string): Promise<void> {
    // Durable: a revoked token must not stay accepted from another instance's cache.
    await this.outbox.write(async (tx) => {
      await this.sessions.revoke(sessionId, tx);
      return { result: undefined, effects: { cacheKeys: [this.keys.session(sessionId)] } };
    });
  }

  /**
   * Ends every other live session of the user: revoked in Postgres, their cache entries dropped
   * through the outbox (recorded in the same transaction), so the next request with any of their
   * tokens is refused on every instance, even if Redis misses the first attempt. Returns how many
   * sessions ended.
   */
  async revokeAllBut(userId: number, keepSessionId: string): Promise<number> {
    const revoked = await this.outbox.write(async (tx) => {
      const ids = await this.sessions.revokeAllBut(userId, keepSessionId, tx);
      return {
        result: ids.length,
        effects: ids.length ? { cacheKeys: ids.map((id) => this.keys.session(id)) } : null,
      };
    });
    return revoked;
  }
}
