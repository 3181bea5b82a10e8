import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';

/**
 * The built server as `npm start` runs it (dist/main.js, built by `pretest`): start-up checks,
 * Swagger UI, request ids, access logs, CORS and graceful shutdown.
 */
const MAIN = 'dist/main.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

function start(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

async function exitOf(run: Run, timeoutMs = 20_000): Promise<number | null> {
  if (run.child.exitCode !== null) return run.child.exitCode;
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(run.child, 'exit')) as [number | null];
  clearTimeout(timer);
  return code;
}

async function waitUntilServing(base: string, run: Run): Promise<void> {
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

describe('the built server (npm start)', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
  });

  describe('running', () => {
    let run: Run;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      run = start({ PORT: String(port), HOST: '127.0.0.1' });
      await waitUntilServing(base, run);
    });
    afterAll(() => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    });

    it('serves Swagger UI at /docs and the OpenAPI document with the RealWorld routes', async () => {
      const ui = await fetch(`${base}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/swagger/i);
      const spec = (await (await fetch(`${base}/docs-json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining([
          '/api/users',
          '/api/users/login',
          '/api/user',
          '/api/profiles/{username}',
        ]),
      );
    });

    it('reports Postgres and Redis up at /health', async () => {
      const response = await fetch(`${base}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { info: Record<string, { status: string }> };
      expect(body.info.postgres.status).toBe('up');
      expect(body.info.redis.status).toBe('up');
    });

    it('echoes a request id (given or generated) and logs the request as JSON with it', async () => {
      const given = await fetch(`${base}/api/profiles/nobody`, {
        headers: { 'x-request-id': 'trace-abc-123' },
      });
      expect(given.status).toBe(404);
      expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
      const generated = await fetch(`${base}/api/profiles/nobody`);
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const line = run
        .stdout()
        .split('\n')
        .find((l) => l.includes('trace-abc-123'));
      expect(line).toBeDefined();
      const entry = JSON.parse(line!) as {
        req: { id: string; url: string };
        res: { statusCode: number };
      };
      expect(entry.req).toMatchObject({ id: 'trace-abc-123', url: '/api/profiles/nobody' });
      expect(entry.res.statusCode).toBe(404);
    });

    it('answers CORS preflights so browser clients can call the API', async () => {
      const response = await fetch(`${base}/api/user`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://localhost:4200',
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'authorization,content-type',
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:4200');
    });

    it('shuts down gracefully on SIGTERM: hooks run, connections close, no SIGKILL needed', async () => {
      run.child.kill('SIGTERM');
      await exitOf(run, 10_000);
      // Nest re-raises the signal once its shutdown hooks are done.
      expect(run.child.signalCode).toBe('SIGTERM');
      expect(run.stdout()).toMatch(/shutting down on SIGTERM/);
      expect(run.stderr()).toBe('');
    });
  });

  it.each([
    [
      'Redis',
      { REDIS_URL: 'redis://127.0.0.1:1/0' },
      /^Cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0 \(ECONNREFUSED\)\. Start it with `docker compose up -d redis`/,
    ],
    [
      'Postgres',
      { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/conduit_test' },
      /^Cannot reach Postgres at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/conduit_test \(ECONNREFUSED\)\. Start it with `docker compose up -d postgres`/,
    ],
  ])('exits with one clear line when %s is unreachable', async (_name, env, expected) => {
    const run = start({ PORT: String(await freePort()), ...env });
    expect(await exitOf(run)).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
  });

  it('refuses to start in production with the default JWT secret', async () => {
    const run = start({ NODE_ENV: 'production', JWT_SECRET: '', PORT: String(await freePort()) });
    expect(await exitOf(run)).toBe(1);
    expect(run.stderr()).toMatch(/JWT_SECRET/);
    expect(run.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });
});
