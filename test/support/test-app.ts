import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory.js';
import { ensureDatabaseExists, runMigrations } from '../../src/database/ensure-database.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { RedisConnection } from '../../src/redis/redis-connection.js';
import type { RedisClient } from '../../src/redis/redis.client.js';
import { assertTestDatabase } from './test-database.js';

export interface TestApp {
  app: NestFastifyApplication;
  /** supertest bound to the running app. */
  http: () => ReturnType<typeof request>;
  redis: RedisClient;
  db: DataSource;
  metrics: MetricsService;
  /** Number of SQL statements the app sent while `action` ran. */
  sqlDuring: (action: () => Promise<unknown>) => Promise<number>;
  close: () => Promise<void>;
}

/** Boots the real app (Fastify, Postgres, Redis) in-process, as main.ts does minus `listen`. */
export async function bootApp(env: Record<string, string> = {}): Promise<TestApp> {
  const databaseUrl = env.DATABASE_URL ?? process.env.DATABASE_URL ?? '';
  assertTestDatabase(databaseUrl);
  // Creates and migrates the test database (cheap when already done: one advisory-locked check).
  await ensureDatabaseExists(databaseUrl);
  await runMigrations(databaseUrl);
  // Swagger UI is left out in-process: @fastify/static needs require(esm), which Jest supports
  // only on Node >= 24.9. test/server.e2e-spec.ts checks /docs on the real built server.
  const app = await createApp({ env, docs: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const metrics = app.get(MetricsService);
  return {
    app,
    http: () => request(app.getHttpServer()),
    redis: app.get(RedisConnection).client,
    db: app.get(DataSource),
    metrics,
    sqlDuring: async (action) => {
      const before = metrics.queriesIssued;
      await action();
      return metrics.queriesIssued - before;
    },
    close: () => app.close(),
  };
}

/** Empties every table and every Redis key under the test prefix: each suite starts clean. */
export async function resetState(testApp: TestApp): Promise<void> {
  const tables = testApp.db.entityMetadatas.map((meta) => `"${meta.tableName}"`).join(', ');
  await testApp.db.query(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`);
  await deleteRedisKeys(testApp.redis, `${process.env.REDIS_KEY_PREFIX ?? 'test:'}*`);
}

export async function deleteRedisKeys(redis: RedisClient, pattern: string): Promise<void> {
  // Lease keys are hash-tagged: `{test:...}:lease`.
  for (const match of [pattern, `{${pattern}`]) {
    for await (const keys of redis.scanIterator({ MATCH: match, COUNT: 500 })) {
      if (keys.length > 0) await redis.unlink(keys);
    }
  }
}
