import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { loadDotEnv } from '../database/load-dot-env.js';

/** True when a command-line tool was asked for its usage (`--help` or `-h`). */
function helpRequested(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

export interface CliTool {
  /** Names the tool in its failure line: `<name> failed: <message>`. */
  name: string;
  /** Printed on `--help`/`-h` (exit 0) before anything else runs. */
  usage?: string;
  /** A line printed after the failure line when it helps (e.g. where to read the usage). */
  hint?: (message: string) => string | undefined;
  /**
   * The work, with the arguments after the script name; `.env` is loaded by then. Resolves to the
   * exit code (none: 0), or to KEEP_RUNNING for a service (the worker) that exits on a signal.
   */
  run: (args: string[]) => Promise<number | void | typeof KEEP_RUNNING>;
}

/** What a service's `run` resolves to: started, stays up until a signal stops it. */
export const KEEP_RUNNING = Symbol('keep running');

/**
 * The one way the command-line tools start and end (seed, migrate, reconcile, admin:grant, the
 * worker): usage on --help, `.env` loaded, then the tool; it exits with the tool's code, and a
 * failure prints one line (no stack: these are operator errors, not bugs, most of the time) and
 * exits 1. Explicit exits: open handles (a pool's idle timer) must not keep a finished tool alive.
 */
export function runCli(tool: CliTool): void {
  const args = process.argv.slice(2);
  const start = async () => {
    if (tool.usage !== undefined && helpRequested(args)) {
      console.log(tool.usage);
      return 0;
    }
    loadDotEnv();
    return tool.run(args);
  };
  start().then(
    (outcome) => {
      if (outcome !== KEEP_RUNNING) process.exit(outcome ?? 0);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`${tool.name} failed: ${message}`);
      const hint = tool.hint?.(message);
      if (hint) console.error(hint);
      process.exit(1);
    },
  );
}

/**
 * The app's modules without an HTTP server, for a tool. `quiet`: only warnings and errors reach
 * the console (a one-shot tool's output is its report). `app`: the app's structured (pino) log,
 * as the API writes it, for services.
 */
export async function createToolContext(
  module: DynamicModule,
  logging: 'quiet' | 'app',
): Promise<INestApplicationContext> {
  if (logging === 'quiet')
    return NestFactory.createApplicationContext(module, { logger: ['error', 'warn'] });
  const app = await NestFactory.createApplicationContext(module, { bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  return app;
}

/** Runs `use` in a quiet tool context (see createToolContext) and always closes it. */
export async function withToolContext<T>(
  module: DynamicModule,
  use: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const app = await createToolContext(module, 'quiet');
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}
