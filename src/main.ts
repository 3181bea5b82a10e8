import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { describeError, rootError } from './common/describe-error.js';
import { docsEnabled } from './config/env-readers.js';
import { validateEnv, type Env } from './config/env.schema.js';
import { ensureDatabaseExists, redactUrl, runMigrations } from './database/ensure-database.js';
import { loadDotEnv } from './database/load-dot-env.js';
import { explainPostgresFailure } from './database/postgres-failure.js';
import { withRedis } from './redis/redis.client.js';
import { describeTopology, redisTopologyOf, topologyVariables } from './redis/redis-topology.js';

/** A start-up failure the operator can fix: printed as one line, without a stack trace. */
class StartupError extends Error {}

async function preparePostgres(env: Env): Promise<void> {
  try {
    if (await ensureDatabaseExists(env.DATABASE_URL)) {
      new Logger('Bootstrap').log(`created database ${redactUrl(env.DATABASE_URL)}`);
    }
  } catch (error) {
    throw new StartupError(explainPostgresFailure(error, env.DATABASE_URL));
  }
  const ran = await runMigrations(env.DATABASE_URL);
  if (ran.length) new Logger('Bootstrap').log(`applied migrations: ${ran.join(', ')}`);
}

async function checkRedis(env: Env): Promise<void> {
  const topology = redisTopologyOf(env);
  try {
    await withRedis(topology, env.REDIS_CONNECT_TIMEOUT_MS, (redis) => redis.primary.ping());
  } catch (error) {
    const start =
      topology.kind === 'standalone'
        ? '`docker compose up -d redis`'
        : `\`scripts/redis-topology.sh up ${topology.kind}\``;
    throw new StartupError(
      `Cannot reach ${describeTopology(topology)} (${describeError(error)}). ` +
        `Start it with ${start} or set ${topologyVariables(topology)}.`,
    );
  }
}

/**
 * `npm start`: checks that Postgres and Redis answer, creates the database and applies migrations,
 * then serves. Once running, the app rides out Redis outages (reads fall back to Postgres); at
 * start-up a missing service is almost always a set-up mistake, so it stops with one clear line.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const env = validateEnv(process.env);
  await preparePostgres(env);
  await checkRedis(env);
  const app = await createApp();
  try {
    await app.listen({ port: env.PORT, host: env.HOST });
  } catch (error) {
    if (rootError(error).code !== 'EADDRINUSE') throw error;
    await app.close().catch(() => {});
    throw new StartupError(
      `Port ${env.PORT} is already in use on ${env.HOST}: stop the other process or set PORT`,
    );
  }
  new Logger('Bootstrap').log(
    `Conduit API listening on http://${env.HOST}:${env.PORT}` +
      (docsEnabled(env) ? ' (docs at /docs)' : ' (docs off: DOCS_ENABLED)'),
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    error instanceof StartupError || message.startsWith('Invalid environment') ? message : error,
  );
  process.exit(1);
});
