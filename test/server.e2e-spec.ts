import { existsSync } from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import {
  exitOf,
  freePort,
  MAIN,
  startServer as start,
  stop,
  waitUntilServing,
  type Run,
} from './support/built-server.js';

/**
 * The built server as `npm start` runs it (dist/main.js, built by `pretest`): start-up checks,
 * Swagger UI, request ids, access logs, CORS and graceful shutdown.
 */
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
    afterAll(() => stop(run));

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

    it('keeps health probes and metrics scrapes out of the access log, and logs a request once', async () => {
      for (const path of ['/health', '/health/live', '/metrics', '/health?x=1']) {
        expect((await fetch(`${base}${path}`)).status).toBe(200);
      }
      await fetch(`${base}/api/tags`, { headers: { 'x-request-id': 'log-once-456' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const accessLines = run
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"req":'));
      const urls = accessLines.map(
        (line) => (JSON.parse(line) as { req: { url: string } }).req.url,
      );
      expect(urls.filter((url) => /^\/(health|metrics)/.test(url))).toEqual([]);
      expect(accessLines.filter((line) => line.includes('log-once-456'))).toHaveLength(1);
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
      'a Redis Cluster',
      { REDIS_CLUSTER_NODES: 'redis://127.0.0.1:1' },
      /^Cannot reach Redis Cluster via seed nodes redis:\/\/127\.0\.0\.1:1 \(.+\)\. Start it with `scripts\/redis-topology\.sh up cluster` or set REDIS_CLUSTER_NODES\.$/,
    ],
    [
      'a Redis Sentinel set',
      { REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_MASTER: 'conduit' },
      /^Cannot reach Redis Sentinel master "conduit" via sentinels 127\.0\.0\.1:1 \(.+\)\. Start it with `scripts\/redis-topology\.sh up sentinel` or set REDIS_SENTINELS \/ REDIS_SENTINEL_MASTER\.$/,
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

  /** The one line a failed start prints on stderr (no stack trace). */
  async function failedStart(env: Record<string, string>): Promise<string> {
    const run = start({ PORT: String(await freePort()), ...env });
    expect(await exitOf(run)).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0];
  }

  /** DATABASE_URL of the test database as another role. */
  function databaseUrlAs(role: string, password: string, database?: string): string {
    const url = new URL(process.env.DATABASE_URL ?? '');
    url.username = role;
    url.password = password;
    if (database) url.pathname = `/${database}`;
    return url.toString();
  }

  it('names a Postgres role that does not exist, with the fix', async () => {
    const role = `conduit_test_nobody_${process.pid}`;
    const line = await failedStart({ DATABASE_URL: databaseUrlAs(role, 'whatever') });
    // With password authentication (CI's fresh cluster) Postgres does not reveal that the role is
    // missing and reports a bad password (28P01); with trust authentication it says so (28000).
    expect(line).toMatch(
      new RegExp(
        `^Postgres at \\S+ (has no role "${role}" \\(28000\\)\\. Create it|` +
          `rejected the password of role "${role}" \\(28P01\\)\\. Put the right password)`,
      ),
    );
  });

  it('names a missing database the role may not create, with the fix', async () => {
    const role = `conduit_test_nocreate_${process.pid}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN NOCREATEDB PASSWORD 'nocreate-password'`);
      const line = await failedStart({
        DATABASE_URL: databaseUrlAs(role, 'nocreate-password', `${role}_db`),
      });
      expect(line).toMatch(
        new RegExp(
          `^Database "${role}_db" does not exist .* role "${role}" cannot create it \\(42501`,
        ),
      );
      expect(line).toMatch(/createdb -O/);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('says plainly when the port is already in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const run = start({ PORT: String(port), HOST: '127.0.0.1' });
      expect(await exitOf(run)).toBe(1);
      expect(run.stderr().trim()).toBe(
        `Port ${port} is already in use on 127.0.0.1: stop the other process or set PORT`,
      );
      expect(run.stdout()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses to start in production with the default JWT secret', async () => {
    const run = start({ NODE_ENV: 'production', JWT_SECRET: '', PORT: String(await freePort()) });
    expect(await exitOf(run)).toBe(1);
    expect(run.stderr()).toMatch(/JWT_SECRET/);
    expect(run.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });
});
