import { Injectable, Logger } from '@nestjs/common';
import { ServiceUnavailableError } from '../common/domain-error.js';
import { Env } from '../config/env.schema.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { RedisClient } from '../redis/redis.client.js';
import { InjectRedis } from '../redis/redis.constants.js';

/** Trim expired entries at most this often per instance (and at least 4 times per window). */
const MAX_TRIM_INTERVAL_MS = 10_000;

/**
 * Who is online: `online:users` is a zset of user id -> last-seen time (ms), fed by the auth guard.
 *
 * A request must not pay a Redis write each time: an in-process map remembers when this instance
 * last wrote each user, so a user costs at most one ZADD per ONLINE_MARK_INTERVAL_SECONDS per
 * instance. The write is fire-and-forget (presence is best effort; a Redis failure never fails the
 * request), counted in redis_errors_total. Entries older than the window are trimmed (throttled)
 * by both writers and readers, so the zset holds at most the users of one window.
 */
@Injectable()
export class OnlineUsersService {
  private readonly logger = new Logger(OnlineUsersService.name);
  private readonly lastWrite = new Map<number, number>();
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly trimEveryMs: number;
  private lastTrim = 0;
  private lastSweep = 0;

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly metrics: MetricsService,
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
    if (!this.redis.isReady) {
      // A command sent while the client reconnects can stay queued until it reconnects: skip it
      // rather than pile up one pending write per active user during an outage.
      this.metrics.countRedisError('online.mark');
      return;
    }
    this.lastWrite.set(userId, now);
    this.sweep(now);
    const multi = this.redis.multi().zAdd(this.keys.onlineUsers(), {
      score: now,
      value: String(userId),
    });
    if (this.trimDue(now)) {
      multi.zRemRangeByScore(this.keys.onlineUsers(), '-inf', `(${now - this.windowMs}`);
    }
    multi.exec().catch((error: unknown) => {
      // Forget the write so the next request retries it.
      this.lastWrite.delete(userId);
      this.metrics.countRedisError('online.mark');
      this.logger.warn(`Redis online.mark failed: ${String(error)}`);
    });
  }

  /** Distinct users seen within the window (across all instances). */
  async count(now = Date.now()): Promise<number> {
    const key = this.keys.onlineUsers();
    const since = now - this.windowMs;
    try {
      if (this.trimDue(now)) await this.redis.zRemRangeByScore(key, '-inf', `(${since}`);
      return await this.redis.zCount(key, since, '+inf');
    } catch (error) {
      this.metrics.countRedisError('online.count');
      this.logger.warn(`Redis online.count failed: ${String(error)}`);
      // Presence lives only in Redis (it is not worth a database write per user per minute).
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
