import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { RedisGateway } from './redis-gateway.js';

/**
 * One fixed window per key, counted and blocked in one round trip. KEYS: hits, block (same hash
 * slot). ARGV: window ms, limit, block ms. Returns {hits, window ms left, blocked 0|1, block ms left}.
 * While blocked, attempts are not counted (the block already says no), so a client that keeps
 * hammering is free again once the block ends, as with the in-memory storage.
 */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const INCREMENT_SCRIPT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockLeft}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local windowLeft = redis.call('PTTL', KEYS[1])
if windowLeft < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  windowLeft = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return {hits, windowLeft, 1, tonumber(ARGV[3])}
end
return {hits, windowLeft, 0, 0}`;

/**
 * @nestjs/throttler storage on the app's node-redis client, so a limit holds across instances.
 * (The published Redis storages for the throttler are built on ioredis; a second Redis client and
 * library for one script was not worth it.) Every call goes through the RedisGateway (time bound,
 * shared circuit breaker, error metrics); while Redis is not ready, slow or failing, the
 * throttler's own in-memory storage counts instead, so each instance still applies the limit on
 * its own.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly local = new ThrottlerStorageService();

  constructor(
    private readonly redis: RedisGateway,
    private readonly keyPrefix: string,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.redis.usable) {
      try {
        const hitsKey = `${this.keyPrefix}throttle:{${throttlerName}:${key}}`;
        return await this.incrementInRedis(hitsKey, [ttl, limit, blockDuration]);
      } catch {
        // Counted and logged by the gateway: count in-process instead.
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** `window`: the window (ms), the limit and the block duration (ms), as the script takes them. */
  private async incrementInRedis(
    hitsKey: string,
    window: [number, number, number],
  ): Promise<ThrottlerStorageRecord> {
    const reply = (await this.redis.run('throttle', (redis) =>
      redis.eval(INCREMENT_SCRIPT, {
        keys: [hitsKey, `${hitsKey}:blocked`],
        arguments: window.map(String),
      }),
    )) as [number, number, number, number];
    const [totalHits, windowLeftMs, blocked, blockLeftMs] = reply;
    return {
      totalHits,
      timeToExpire: Math.ceil(windowLeftMs / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockLeftMs / 1000),
    };
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }
}
