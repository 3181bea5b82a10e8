import { Logger } from '@nestjs/common';
import { AppModule } from './app.module.js';
import { createToolContext, KEEP_RUNNING, runCli } from './common/cli.js';

/**
 * `node dist/worker.js`: the queue workers without the HTTP server, so they scale apart from the
 * API (run the API with QUEUE_WORKERS=false). The same modules as the API, as a Nest application
 * context: nothing listens; SIGTERM/SIGINT close the workers (a running job finishes first) and
 * every connection. The API's start-up (database creation, migrations) is its own business.
 */
runCli({
  name: 'worker',
  async run() {
    const app = await createToolContext(
      AppModule.forRoot({ env: { QUEUE_WORKERS: 'true' } }),
      'app',
    );
    app.enableShutdownHooks();
    new Logger('Worker').log('queue workers running (no HTTP server)');
    return KEEP_RUNNING;
  },
});
