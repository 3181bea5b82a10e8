/**
 * Environment of every e2e test file (Jest `setupFiles`): a dedicated database and Redis db index
 * plus a key prefix, so the suite never touches a developer's data. Override with TEST_DATABASE_URL
 * and TEST_REDIS_URL. TEST_REDIS_SENTINELS (+ TEST_REDIS_SENTINEL_MASTER) or
 * TEST_REDIS_CLUSTER_NODES run the suite on that topology instead (keys isolated by the `test:`
 * prefix: a Cluster has no db index), TEST_REDIS_READ_FROM_REPLICAS=true with replica reads.
 */
// Evaluated here, before any test file links @nestjs/throttler: that package is CommonJS, Jest
// runs CommonJS imported from ES modules at link time, and its require() of the (ESM) @nestjs/common
// (and @nestjs/core) would otherwise meet them mid-evaluation ("Cannot require() ES Module ... in a cycle").
import '@nestjs/common';
import '@nestjs/core';
// Same story for @bull-board/nestjs (CommonJS) and the ESM @nestjs/bull-shared it requires.
import '@nestjs/bull-shared';

process.env.NODE_ENV = 'test';
process.env.DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit_test';
process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
process.env.REDIS_SENTINELS = process.env.TEST_REDIS_SENTINELS ?? '';
process.env.REDIS_SENTINEL_MASTER = process.env.TEST_REDIS_SENTINEL_MASTER ?? 'conduit';
process.env.REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES ?? '';
process.env.REDIS_READ_FROM_REPLICAS = process.env.TEST_REDIS_READ_FROM_REPLICAS ?? 'false';
process.env.REDIS_KEY_PREFIX = 'test:';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';
process.env.CACHE_ENABLED = 'true';
process.env.VIEWS_FLUSH_INTERVAL_MS = '0'; // the tests flush views themselves
// Tests start reconciliation runs themselves.
process.env.RECONCILE_ENABLED = 'false';
// Data-loss checks run where a test enables them (a reset of Redis keys would look like a loss).
process.env.REDIS_LOSS_CHECK_INTERVAL_MS = '0';
// Far above what any suite does from one address; test/throttling.e2e-spec.ts sets its own.
process.env.THROTTLE_ADDRESS_LIMIT = '1000000';
process.env.THROTTLE_ACCOUNT_LIMIT = '1000000';
// The concurrency suites run hundreds of writes that queue on the same advisory count locks; on a
// loaded 2-core CI machine a wait can pass production's 1 s lock_timeout and turn into a 503 that
// the exactness tests are not about. The overload test (postgres-locked) sets its own short one.
process.env.DATABASE_LOCK_TIMEOUT_MS = '10000';
