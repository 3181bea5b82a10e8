import { Injectable } from '@nestjs/common';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';

/** Trim expired entries at most this often per instance (and at least 4 times per window). */
const MAX_TRIM_INTERVAL_MS = 10_000;

/**
 * Who is online: `online:users` is a zset of user id -> last-seen time (ms), fed by the auth guard.
 *
 * A request must not pay a Redis write each time: an in-process map remembers when this instance
 * last wrote each user, so a user costs at most one ZADD per ONLINE_MARK_INTERVAL_SECONDS per
 * instance. The write is fire-and-forget through the RedisGateway (presence is best effort; a Redis
 * failure never fails or delays the request), counted in redis_errors_total. Entries older than the window are trimmed (throttled)
 * by both writers and readers, so the zset holds at most the users of one window.
 */
@Injectable()
export class OnlineUsersService {
  private readonly lastWrite = new Map<number, number>();
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly trimEveryMs: number;
  private lastTrim = 0;
  private lastSweep = 0;

  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    env: Env,
  ) {
    this.intervalMs = env.ONLINE_MARK_INTERVAL_SECONDS * 1000;
    this.windowMs = env.ONLINE_WINDOW_SECONDS * 1000;
    this.trimEveryMs = Math.min(MAX_TRIM_INTERVAL_MS, this.windowMs / 4);
  }

  get windowSeconds(): number {
    return this.windowMs / 1000;
  }

  /** Records that the user made an authenticated request. Never throws, never waits on Redis. */
  markSeen(userId: number, now = Date.now()): void {
    const last = this.lastWrite.get(userId);
    if (last !== undefined && now - last < this.intervalMs) return;
    // Skipped at once (and counted) by the gateway while Redis is away or its circuit is open:
    // one pending write per active user must not pile up during an outage.
    if (!this.redis.usable) {
      this.redis.recordFailure('online.mark', 'Redis unavailable');
      return;
    }
    this.lastWrite.set(userId, now);
    this.sweep(now);
    const trim = this.trimDue(now);
    this.redis
      .run('online.mark', (redis) => {
        const multi = redis.multi().zAdd(this.keys.onlineUsers(), {
          score: now,
          value: String(userId),
        });
        if (trim)
          multi.zRemRangeByScore(this.keys.onlineUsers(), '-inf', `(${now - this.windowMs}`);
        return multi.exec();
      })
      // Forget the write so the next request retries it (the failure is counted by the gateway).
      .catch(() => this.lastWrite.delete(userId));
  }

  /** Distinct users seen within the window (across all instances). */
  async count(now = Date.now()): Promise<number> {
    const key = this.keys.onlineUsers();
    const since = now - this.windowMs;
    const trim = this.trimDue(now);
    try {
      // One bounded round trip (MULTI) for the trim and the count.
      const replies = await this.redis.run('online.count', (redis) => {
        const multi = redis.multi();
        if (trim) multi.zRemRangeByScore(key, '-inf', `(${since}`);
        return multi.zCount(key, since, '+inf').exec();
      });
      return Number(replies[replies.length - 1]);
    } catch {
      // Counted and logged by the gateway. Presence lives only in Redis (it is not worth a database write per user per minute).
      throw new ServiceUnavailableError('online users are unavailable right now');
    }
  }

  private trimDue(now: number): boolean {
    if (now - this.lastTrim < this.trimEveryMs) return false;
    this.lastTrim = now;
    return true;
  }

  /** Drops throttle entries that no longer throttle anything, so the map stays bounded. */
  private sweep(now: number): void {
    if (now - this.lastSweep < Math.max(this.intervalMs, 1000)) return;
    this.lastSweep = now;
    for (const [userId, at] of this.lastWrite) {
      if (now - at >= this.intervalMs) this.lastWrite.delete(userId);
    }
  }
}
