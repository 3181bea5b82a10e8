import { createClient } from 'redis';
import { redisScripts } from './redis.scripts.js';

export interface RedisClientSettings {
  url: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/**
 * Builds the app's one Redis client (node-redis). Choices that keep a slow or dead Redis from
 * hurting requests: the offline queue is off (a command while disconnected fails at once instead of
 * piling up), every command has a short timeout, and reconnects back off up to 5 s.
 */
export function createRedisClient(settings: RedisClientSettings) {
  return createClient({
    url: settings.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: settings.commandTimeoutMs },
    scripts: redisScripts,
    socket: {
      connectTimeout: settings.connectTimeoutMs,
      reconnectStrategy: (retries: number) =>
        Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100),
    },
  });
}

export type RedisClient = ReturnType<typeof createRedisClient>;
