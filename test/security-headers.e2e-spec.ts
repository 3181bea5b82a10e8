import { authHeader, registerUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';
import { createApp } from '../src/app.factory.js';

/** The CSP as a map of directive -> sources. */
function parseCsp(header: string | undefined): Map<string, string[]> {
  return new Map(
    (header ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('security headers, the metrics token and the docs switch', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ METRICS_TOKEN: 'a-metrics-token-for-tests' });
    await resetState(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['a public read', '/api/tags', 200],
    ['an error', '/api/user', 401],
    ['an unknown route', '/api/nothing', 404],
  ])('%s carries the security headers', async (_name, path, status) => {
    const response = await t.http().get(path).expect(status);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const csp = parseCsp(response.headers['content-security-policy']);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('/metrics needs the bearer token when one is configured', async () => {
    expectRealWorldError((await t.http().get('/metrics').expect(401)).body);
    await t.http().get('/metrics').set('Authorization', 'Bearer wrong-token').expect(401);
    const user = await registerUser(t);
    await t.http().get('/metrics').set(authHeader(user.token)).expect(401);
    const scraped = await t
      .http()
      .get('/metrics')
      .set('Authorization', 'Bearer a-metrics-token-for-tests')
      .expect(200);
    expect(scraped.text).toContain('# TYPE redis_errors_total counter');
  });

  it('Swagger UI renders under the CSP: same-origin scripts only, inline styles allowed', async () => {
    const app = await createApp({ docs: true });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    try {
      const server = app.getHttpServer();
      const { default: request } = await import('supertest');
      const page = await request(server).get('/docs').redirects(1).expect(200);
      const csp = parseCsp(page.headers['content-security-policy']);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('style-src')).toEqual(expect.arrayContaining(["'self'", "'unsafe-inline'"]));
      expect(csp.get('img-src')).toEqual(expect.arrayContaining(["'self'", 'data:']));
      const html = page.text;
      // Every script is a same-origin file (an inline one would be refused by script-src 'self').
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(body.trim()).toBe('');
        const src = /src="([^"]+)"/.exec(attributes)?.[1] ?? '';
        expect(src).not.toMatch(/^(https?:)?\/\//);
        // Resolved as the browser does, against the page's URL.
        const script = await request(server)
          .get(new URL(src, 'http://localhost/docs').pathname)
          .expect(200);
        expect(script.headers['content-type']).toMatch(/javascript/);
      }
      const spec = await request(server).get('/docs-json').expect(200);
      expect(Object.keys(spec.body.paths as object)).toContain('/api/users/login');
    } finally {
      await app.close();
    }
  });

  it('DOCS_ENABLED=false switches /docs and /docs-json off', async () => {
    const app = await createApp({ docs: true, env: { DOCS_ENABLED: 'false' } });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    try {
      const { default: request } = await import('supertest');
      await request(app.getHttpServer()).get('/docs').expect(404);
      await request(app.getHttpServer()).get('/docs-json').expect(404);
    } finally {
      await app.close();
    }
  });
});
