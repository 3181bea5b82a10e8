import { authHeader, registerUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { bootApp, deleteRedisKeys, resetState, type TestApp } from './support/test-app.js';

/**
 * Interceptors run before pipes, so a cached route once answered a request from the cache that a
 * cold cache rejected. The same request must get the same answer warm and cold.
 */
describe('validation runs before any cache lookup', () => {
  let t: TestApp;
  let slug: string;
  let username: string;

  // Cached responses and list pages only: the tag generations stay, or nothing would be cached.
  const coldCache = async () => {
    const prefix = process.env.REDIS_KEY_PREFIX ?? 'test:';
    await deleteRedisKeys(t.topology, `${prefix}http:*`);
    await deleteRedisKeys(t.topology, `${prefix}articles:page:*`);
  };

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
    const author = await registerUser(t);
    const fan = await registerUser(t);
    username = author.username;
    await t.http().post(`/api/profiles/${username}/follow`).set(authHeader(fan.token)).expect(200);
    const created = await t
      .http()
      .post('/api/articles')
      .set(authHeader(author.token))
      .send({ article: { title: 'Cached', description: 'd', body: 'b', tagList: ['t'] } })
      .expect(201);
    slug = created.body.article.slug as string;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['/api/articles?limit=14', '/api/articles?limit=14&foo=bar', 'foo'],
    ['/api/articles?limit=14', '/api/articles?limit=14&tag[a]=b', 'tag[a]'],
    ['/api/articles?limit=14', '/api/articles?limit=14&__proto__[x]=1', '__proto__[x]'],
    ['/api/articles?tag=t', '/api/articles?tag=t&tag=u', 'tag'],
    ['/api/articles?limit=14', '/api/articles?limit=14&offset=-1', 'offset'],
    ['/api/articles', '/api/articles?limit=abc', 'limit'],
    ['/api/profiles/{user}/followers', '/api/profiles/{user}/followers?cursor=garbage', 'cursor'],
    ['/api/profiles/{user}/followers', '/api/profiles/{user}/followers?x=1', 'x'],
    [
      '/api/profiles/{user}/followers',
      '/api/profiles/{user}/followers?__proto__[x]=1',
      '__proto__[x]',
    ],
    ['/api/articles/{slug}', '/api/articles/{slug}%00', 'slug'],
  ])('%s warm, then %s is 422 as on a cold cache', async (warmPath, hostilePath, field) => {
    const fill = (path: string) => path.replace('{user}', username).replace('{slug}', slug);
    await coldCache();
    const cold = await t.http().get(fill(hostilePath));
    expect(cold.status).toBe(422);
    expectRealWorldError(cold.body, field);

    await t.http().get(fill(warmPath)).expect(200);
    // Now served from the cache (and the follow zsets) without a query.
    expect(await t.sqlDuring(() => t.http().get(fill(warmPath)).expect(200))).toBe(0);
    const warm = await t.http().get(fill(hostilePath));
    expect(warm.status).toBe(422);
    expect(warm.body).toEqual(cold.body);
  });

  it('a valid request is still answered from the cache (no SQL when warm)', async () => {
    await t.http().get('/api/articles?limit=14').expect(200);
    const sql = await t.sqlDuring(() => t.http().get('/api/articles?limit=14').expect(200));
    expect(sql).toBe(0);
  });
});
