import { authHeader, registerUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const FOREIGN_ORIGIN = 'http://frontend.example';
const REQUESTED_HEADERS = ['authorization', 'content-type', 'x-requested-with'];

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

const HTTP_METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options']);

/** Every path and method of the app's own OpenAPI document, with sample path parameters. */
async function routesOf(t: TestApp): Promise<[string, string][]> {
  const document = (await t.http().get('/docs-json').expect(200)).body as OpenApiDocument;
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => HTTP_METHODS.has(method))
      .map((method): [string, string] => [
        method.toUpperCase(),
        path.replace(/\{[^}]+\}/g, 'sample'),
      ]),
  );
}

function commaList(header: string | undefined): string[] {
  return (header ?? '').split(',').map((item) => item.trim().toLowerCase());
}

describe('CORS: a browser frontend on another origin can use every route', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ CORS_ORIGIN: '*' });
    await resetState(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('allows the preflight of every route and method in the OpenAPI document', async () => {
    const routes = await routesOf(t);
    // The document is the source: a route added later is covered without touching this test.
    expect(routes.length).toBeGreaterThanOrEqual(25);
    expect(routes.map(([method]) => method)).toEqual(
      expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']),
    );
    const refused: string[] = [];
    for (const [method, path] of routes) {
      const response = await t
        .http()
        .options(path)
        .set('Origin', FOREIGN_ORIGIN)
        .set('Access-Control-Request-Method', method)
        .set('Access-Control-Request-Headers', REQUESTED_HEADERS.join(','));
      const allowed =
        [200, 204].includes(response.status) &&
        response.headers['access-control-allow-origin'] === FOREIGN_ORIGIN &&
        commaList(response.headers['access-control-allow-methods']).includes(
          method.toLowerCase(),
        ) &&
        REQUESTED_HEADERS.every((header) =>
          commaList(response.headers['access-control-allow-headers']).includes(header),
        ) &&
        response.headers['access-control-max-age'] === '86400';
      if (!allowed)
        refused.push(`${method} ${path}: ${response.status} ${JSON.stringify(response.headers)}`);
    }
    expect(refused).toEqual([]);
  });

  it('allows any further header a client asks for (e.g. x-request-id)', async () => {
    const response = await t
      .http()
      .options('/api/user')
      .set('Origin', FOREIGN_ORIGIN)
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'x-request-id,x-custom-client')
      .expect(204);
    expect(commaList(response.headers['access-control-allow-headers'])).toEqual(
      expect.arrayContaining(['x-request-id', 'x-custom-client']),
    );
  });

  it('answers actual cross-origin PUT and DELETE with the allow-origin and exposed headers', async () => {
    const user = await registerUser(t);
    const put = await t
      .http()
      .put('/api/user')
      .set('Origin', FOREIGN_ORIGIN)
      .set(authHeader(user.token))
      .send({ user: { bio: 'from another origin' } })
      .expect(200);
    expect(put.headers['access-control-allow-origin']).toBe(FOREIGN_ORIGIN);
    expect(commaList(put.headers['access-control-expose-headers'])).toContain('x-request-id');
    expect(put.body.user.bio).toBe('from another origin');

    const created = await t
      .http()
      .post('/api/articles')
      .set(authHeader(user.token))
      .send({ article: { title: 'cors', description: 'd', body: 'b' } })
      .expect(201);
    const deleted = await t
      .http()
      .delete(`/api/articles/${created.body.article.slug as string}`)
      .set('Origin', FOREIGN_ORIGIN)
      .set(authHeader(user.token))
      .set('Content-Type', 'application/json')
      .expect(204);
    expect(deleted.headers['access-control-allow-origin']).toBe(FOREIGN_ORIGIN);
  });
});

describe('CORS with CORS_ORIGIN set to a list', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({
      CORS_ORIGIN: 'http://app.example, http://admin.example',
      CORS_MAX_AGE_SECONDS: '600',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const preflight = (origin: string) =>
    t
      .http()
      .options('/api/user')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'authorization,content-type');

  it('allows the listed origins, with the configured max age', async () => {
    for (const origin of ['http://app.example', 'http://admin.example']) {
      const response = await preflight(origin).expect(204);
      expect(response.headers['access-control-allow-origin']).toBe(origin);
      expect(response.headers['access-control-max-age']).toBe('600');
    }
  });

  it('does not allow an origin outside the list', async () => {
    const response = await preflight(FOREIGN_ORIGIN);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const actual = await t.http().get('/api/tags').set('Origin', FOREIGN_ORIGIN).expect(200);
    expect(actual.headers['access-control-allow-origin']).toBeUndefined();
  });
});
