import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { withOwnRedis } from './redis-env.js';

/** The built server as `npm start` runs it (built by `pretest`). */
export const MAIN = 'dist/main.js';

/** A port that was free a moment ago (the OS picks it): tests never collide on fixed ports. */
export { freePort } from '../../bench/processes.js';

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/** Runs a built script (`dist/...`) with the test environment plus `env`, capturing its output. */
export function startScript(script: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...withOwnRedis(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

/** Starts the built server (LOG_LEVEL=info unless `env` says otherwise). */
export function startServer(env: Record<string, string>): Run {
  return startScript(MAIN, [], { LOG_LEVEL: 'info', ...env });
}

export async function exitOf(run: Run, timeoutMs = 20_000): Promise<number | null> {
  if (run.child.exitCode !== null) return run.child.exitCode;
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(run.child, 'exit')) as [number | null];
  clearTimeout(timer);
  return code;
}

export async function waitUntilServing(base: string, run: Run): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (run.child.exitCode !== null) throw new Error(`server exited: ${run.stderr()}`);
    try {
      if ((await fetch(`${base}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not start in 20 s');
}

export function stop(run: Run): void {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
}
