import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import { createApp } from './app.factory.js';
import { validateEnv, type Env } from './config/env.schema.js';
import { ensureDatabaseExists, redactUrl, runMigrations } from './database/ensure-database.js';
import { loadDotEnv } from './database/load-dot-env.js';

/** A start-up failure the operator can fix: printed as one line, without a stack trace. */
class StartupError extends Error {}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  const { code, message } = error as { code?: string; message?: string };
  return code ?? message ?? String(error);
}

async function preparePostgres(env: Env): Promise<void> {
  try {
    if (await ensureDatabaseExists(env.DATABASE_URL)) {
      new Logger('Bootstrap').log(`created database ${redactUrl(env.DATABASE_URL)}`);
    }
  } catch (error) {
    throw new StartupError(
      `Cannot reach Postgres at ${redactUrl(env.DATABASE_URL)} (${describe(error)}). ` +
        'Start it with `docker compose up -d postgres` or set DATABASE_URL.',
    );
  }
  const ran = await runMigrations(env.DATABASE_URL);
  if (ran.length) new Logger('Bootstrap').log(`applied migrations: ${ran.join(', ')}`);
}

async function checkRedis(env: Env): Promise<void> {
  const probe = createClient({
    url: env.REDIS_URL,
    socket: { connectTimeout: env.REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new StartupError(
      `Cannot reach Redis at ${redactUrl(env.REDIS_URL)} (${describe(error)}). ` +
        'Start it with `docker compose up -d redis` or set REDIS_URL.',
    );
  } finally {
    if (probe.isOpen) probe.destroy();
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
  await app.listen({ port: env.PORT, host: env.HOST });
  new Logger('Bootstrap').log(
    `Conduit API listening on http://${env.HOST}:${env.PORT} (docs at /docs)`,
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    error instanceof StartupError || message.startsWith('Invalid environment') ? message : error,
  );
  process.exit(1);
});
