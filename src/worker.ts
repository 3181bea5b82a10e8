import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { loadDotEnv } from './database/load-dot-env.js';

/**
 * `node dist/worker.js`: the queue workers without the HTTP server, so they scale apart from the
 * API (run the API with QUEUE_WORKERS=false). The same modules as the API, as a Nest application
 * context: nothing listens; SIGTERM/SIGINT close the workers (a running job finishes first) and
 * every connection. The API's start-up (database creation, migrations) is its own business.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ env: { QUEUE_WORKERS: 'true' } }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(PinoLogger));
  app.enableShutdownHooks();
  new Logger('Worker').log('queue workers running (no HTTP server)');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
