/**
 * Environment of every e2e test file (Jest `setupFiles`): a dedicated database and Redis db index
 * plus a key prefix, so the suite never touches a developer's data. Override with TEST_DATABASE_URL
 * and TEST_REDIS_URL.
 */
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit_test';
process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
process.env.REDIS_KEY_PREFIX = 'test:';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256';
process.env.CACHE_ENABLED = 'true';
process.env.VIEWS_FLUSH_INTERVAL_MS = '0'; // the tests flush views themselves
// Tests start reconciliation runs themselves.
process.env.RECONCILE_ENABLED = 'false';
