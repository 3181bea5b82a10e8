import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory.js';
import { LocalTier } from '../../src/cache/local-tier.js';
import { ensureDatabaseExists, runMigrations } from '../../src/database/ensure-database.js';
import { USER_METRICS } from '../../src/counters/metric-registry.js';
import { RedisKeys } from '../../src/redis/keys.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { OutboxService } from '../../src/outbox/outbox.service.js';
import { JobSchedulers } from '../../src/queue/job-schedulers.js';
import { RedisConnection } from '../../src/redis/redis-connection.js';
import type { RedisClient, RedisTopologyClient } from '../../src/redis/redis.client.js';
import { withOwnRedis } from './redis-env.js';
import { assertTestDatabase } from './test-database.js';

export interface TestApp {
  app: NestFastifyApplication;
  /** supertest bound to the running app. */
  http: () => ReturnType<typeof request>;
  /** The master's command surface (whatever the topology under test). */
  redis: RedisClient;
  /** The topology client itself: for clean-up over every master. */
  topology: RedisTopologyClient;
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
  // With Swagger, as production serves it: the CORS test reads the routes from /docs-json.
  const app = await createApp({ env: withOwnRedis(env) });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const metrics = app.get(MetricsService);
  const outbox = app.get(OutboxService);
  return {
    app,
    http: () => request(app.getHttpServer()),
    redis: app.get(RedisConnection).redis.primary,
    topology: app.get(RedisConnection).redis,
    db: app.get(DataSource),
    metrics,
    sqlDuring: async (action) => {
      // Confirmed outbox rows of earlier writes are deleted in the background: not this action's.
      await outbox.settled();
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
  // The app's background work (the outbox relay claiming rows, a reconciliation batch) may hold
  // a row lock while it reads another table: TRUNCATE then deadlocks with it and Postgres picks
  // one victim. The victim being the clean-up, it simply tries again.
  for (let attempt = 1; ; attempt++) {
    try {
      await testApp.db.query(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`);
      break;
    } catch (error) {
      const deadlock = (error as { driverError?: { code?: string } }).driverError?.code === '40P01';
      if (!deadlock || attempt === 5) throw error;
    }
  }
  await deleteRedisKeys(testApp.topology, `${process.env.REDIS_KEY_PREFIX ?? 'test:'}*`);
  // Ids restart at 1: what this instance keeps in memory (profiles, articles) describes old rows.
  testApp.app.get(LocalTier).forgetAll();
  await markBoardsBuilt(testApp);
  // The queues' keys went with the rest: put the repeatable jobs' schedulers back.
  await testApp.app.get(JobSchedulers).ensureAll();
}

/**
 * Empty tables make every empty leaderboard exact: mark them built, as a reconciliation would,
 * so deltas land on them (an unbuilt board ignores deltas and answers 503).
 */
export async function markBoardsBuilt(testApp: TestApp): Promise<void> {
  const keys = testApp.app.get(RedisKeys);
  for (const metric of USER_METRICS) await testApp.redis.set(keys.leaderboardBuilt(metric), '1');
}

/** Deletes the keys under `pattern` on every master (Cluster: all of them). */
export async function deleteRedisKeys(redis: RedisTopologyClient, pattern: string): Promise<void> {
  // Lease keys are hash-tagged: `{test:...}:lease`.
  for (const match of [pattern, `{${pattern}`]) await redis.deleteMatching(match);
}
