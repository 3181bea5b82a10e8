import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Peak resident memory (VmHWM) of a live process, in MB; 0 once it is gone. */
export function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/**
 * CPU time (user + system) a live process has used so far, in ms; undefined once it is gone.
 * Per request, this is what a route costs the app whatever else loads the machine.
 */
export function cpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux we run on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface RunningApp {
  url: string;
  /** Undefined for a server this process did not start (--url). */
  child: ChildProcess | undefined;
  stop: () => Promise<void>;
}

/**
 * A built entry point of `dir` (dist/main.js, dist/worker.js) in production mode; the API with
 * the Node options of `dir`'s `npm run start:prod`, as production starts it.
 */
function spawnBuilt(script: string, env: Record<string, string>, dir: string): ChildProcess {
  const nodeOptions = script === 'main.js' ? npmScriptNodeOptions('start:prod', dir) : [];
  return spawn(process.execPath, [...nodeOptions, `${dir}/dist/${script}`], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** SIGTERM, then resolves once the process is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

/**
 * Starts the built app (dist/main.js of `dir`, default this checkout) in production mode and waits
 * until it answers.
 */
export async function startApp(env: Record<string, string>, dir = '.'): Promise<RunningApp> {
  const port = await freePort();
  const child = spawnBuilt('main.js', { HOST: '127.0.0.1', PORT: String(port), ...env }, dir);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the app did not start within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, child, stop: () => stopChild(child) };
}

export interface RunningWorker {
  child: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * Starts the queue workers alone (dist/worker.js of `dir`: no HTTP server), in production mode.
 * It has no address to poll: the caller checks that its workers are connected (e.g. their client
 * names in Redis' CLIENT LIST).
 */
export function startWorker(env: Record<string, string>, dir = '.'): RunningWorker {
  const child = spawnBuilt('worker.js', env, dir);
  return { child, stop: () => stopChild(child) };
}

export interface CommandRun {
  code: number | null;
  seconds: number;
  peakRssMb: number;
  stdout: string;
  stderr: string;
}

/**
 * The Node options `npm run <name>` starts its tool with (package.json), so a bench runs the tool
 * as operators do: e.g. the heap sizing of `npm run reconcile`.
 */
export function npmScriptNodeOptions(name: string, dir = '.'): string[] {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (pkg.scripts[name] ?? '').split(/\s+/);
  return words[0] === 'node' ? words.slice(1).filter((word) => word.startsWith('--')) : [];
}

/** Runs a node script to completion (with `nodeOptions` before it), sampling its peak RSS. */
export async function runNodeScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  nodeOptions: string[] = [],
): Promise<CommandRun> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeOptions, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRssMb(child.pid!))), 25);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  return {
    code,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    peakRssMb: peak,
    stdout,
    stderr,
  };
}
