import { createClient } from 'redis';
import { redisScripts } from './redis.scripts.js';

export interface RedisClientSettings {
  url: string;
  connectTimeoutMs: number;
}

/**
 * Builds the app's one Redis client (node-redis). Choices that keep a slow or dead Redis from
 * hurting requests: the offline queue is off (a command while disconnected fails at once instead of
 * piling up), reads are bounded by `withTimeout` at their call sites (see with-timeout.ts for why
 * not node-redis' per-command timeout), and reconnects back off up to 5 s.
 */
export function createRedisClient(settings: RedisClientSettings) {
  return createClient({
    url: settings.url,
    disableOfflineQueue: true,
    scripts: redisScripts,
    socket: {
      connectTimeout: settings.connectTimeoutMs,
      reconnectStrategy: (retries: number) =>
        Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100),
    },
  });
}

export type RedisClient = ReturnType<typeof createRedisClient>;
