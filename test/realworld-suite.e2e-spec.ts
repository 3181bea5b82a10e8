import { fileURLToPath } from 'node:url';
import newman, { type NewmanRunSummary } from 'newman';
import pg from 'pg';
import { validateEnv } from '../src/config/env.schema.js';
import { withRedis } from '../src/redis/redis.client.js';
import { redisTopologyOf } from '../src/redis/redis-topology.js';
import { deleteRedisKeys } from './support/test-app.js';
import { assertTestDatabase } from './support/test-database.js';
import { freePort, startServer, stop, waitUntilServing, type Run } from './support/built-server.js';

/**
 * The official RealWorld suite (test/realworld/README.md) against the built server on a fresh
 * database, run twice against that same database with different user names: every request and
 * every assertion must pass both times. Judged from newman's summary, never from its exit code.
 */
const COLLECTION = fileURLToPath(
  new URL('./realworld/Conduit.postman_collection.json', import.meta.url),
);
/**
 * Assertions the collection makes when every request succeeds (counted from green runs; the
 * collection has no loops, so the count does not depend on what the database holds).
 */
const EXPECTED_ASSERTIONS = 311;
const EXPECTED_REQUESTS = 32;

const databaseUrl = (() => {
  const url = new URL(process.env.DATABASE_URL ?? '');
  url.pathname = `${url.pathname}_realworld`;
  return url.toString();
})();
const KEY_PREFIX = 'test:realworld:';

async function onMaintenanceDb<T>(action: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  await onMaintenanceDb((client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

async function deleteKeys(): Promise<void> {
  await withRedis(redisTopologyOf(validateEnv(process.env)), 2000, (redis) =>
    deleteRedisKeys(redis, `${KEY_PREFIX}*`),
  );
}

function runCollection(apiUrl: string, user: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: COLLECTION,
        globalVar: [
          { key: 'APIURL', value: apiUrl },
          { key: 'USERNAME', value: user },
          { key: 'EMAIL', value: `${user}@mail.com` },
          { key: 'PASSWORD', value: 'password' },
        ],
        reporters: [],
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

function describeFailures(summary: NewmanRunSummary): string[] {
  return summary.run.failures.map(
    (failure) =>
      `${failure.source?.name ?? '?'}: ${failure.error.test ?? ''} ${failure.error.message}`,
  );
}

describe('the official RealWorld suite (newman) against the built server', () => {
  let run: Run;
  let apiUrl: string;

  beforeAll(async () => {
    assertTestDatabase(databaseUrl);
    await dropDatabase(); // fresh: the server creates and migrates it like `npm start` does
    await deleteKeys();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    apiUrl = `${base}/api`;
    run = startServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_KEY_PREFIX: KEY_PREFIX,
      LOG_LEVEL: 'warn',
    });
    await waitUntilServing(base, run);
  }, 60_000);

  afterAll(async () => {
    stop(run);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await dropDatabase();
    await deleteKeys();
  }, 30_000);

  it.each([
    ['first', 'rw1'],
    ['second', 'rw2'],
  ])(
    '%s run: every request and assertion passes',
    async (_run, prefix) => {
      const user = `${prefix}${Date.now()}`;
      const summary = await runCollection(apiUrl, user);
      const { requests, assertions } = summary.run.stats;
      console.log(
        `newman (${user}): requests ${requests.total} (failed ${requests.failed}), ` +
          `assertions ${assertions.total} (failed ${assertions.failed}), failures ${summary.run.failures.length}`,
      );
      // `run.error` is set when newman itself failed (types of newman 5 lack it).
      expect((summary.run as { error?: unknown }).error).toBeFalsy();
      expect(describeFailures(summary)).toEqual([]);
      expect(requests.failed).toBe(0);
      expect(assertions.failed).toBe(0);
      expect(requests.total).toBe(EXPECTED_REQUESTS);
      expect(assertions.total).toBe(EXPECTED_ASSERTIONS);
    },
    120_000,
  );
});
