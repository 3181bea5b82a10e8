import { LocalTier } from '../src/cache/local-tier.js';
import { FavoriteIdsCache } from '../src/favorites/favorite-ids-cache.js';
import { authHeader, createArticle, registerUser, userId } from './support/factories.js';
import { RedisServerProcess } from './support/redis-server.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** Generous on loopback (the measured delay is printed; the target is under 10 ms). */
const STALE_BOUND_MS = 200;

const tierOf = (t: TestApp) => t.app.get(LocalTier);

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Two instances, one Redis: what one instance writes, the other never serves stale from its
 * in-process tier once the write's response returned plus the invalidation delay.
 */
describe('in-process tier coherence across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  const delays: number[] = [];

  beforeAll(async () => {
    a = await bootApp();
    b = await bootApp();
    await resetState(a);
    await until(() => tierOf(a).active && tierOf(b).active);
  });
  afterAll(async () => {
    if (delays.length > 0) {
      process.stdout.write(
        `invalidation delay across instances (ms): max ${Math.max(...delays).toFixed(2)}, ` +
          `samples ${delays.map((d) => d.toFixed(2)).join(' ')}\n`,
      );
    }
    await Promise.all([a.close(), b.close()]);
  });

  /** Polls `read` on b until it shows the write; returns how long after the write that took. */
  async function staleFor(read: () => Promise<boolean>): Promise<number> {
    const written = performance.now();
    while (!(await read())) {
      if (performance.now() - written > STALE_BOUND_MS * 5) break;
    }
    const delay = performance.now() - written;
    delays.push(delay);
    return delay;
  }

  it('a profile change on one instance is seen by the other within the bound', async () => {
    const user = await registerUser(a);
    const path = `/api/profiles/${user.username}`;
    for (let i = 0; i < 3; i++) await b.http().get(path).expect(200);
    expect(tierOf(b).size).toBeGreaterThan(0);
    const sql = await b.sqlDuring(() => b.http().get(path).expect(200));
    expect(sql).toBe(0);

    for (let round = 1; round <= 5; round++) {
      await a
        .http()
        .put('/api/user')
        .set(authHeader(user.token))
        .send({ user: { bio: `bio ${round}` } })
        .expect(200);
      const delay = await staleFor(
        async () => (await b.http().get(path)).body.profile.bio === `bio ${round}`,
      );
      expect(delay).toBeLessThan(STALE_BOUND_MS);
    }
  });

  it('an article edit and a new article in a list are seen by the other instance', async () => {
    const user = await registerUser(a);
    await a
      .http()
      .post('/api/articles')
      .set(authHeader(user.token))
      .send({ article: { title: 'Coherent', description: 'd', body: 'one', tagList: ['co'] } })
      .expect(201);
    for (let i = 0; i < 3; i++) {
      await b.http().get('/api/articles/coherent').expect(200);
      await b.http().get('/api/articles?tag=co').expect(200);
    }
    await a
      .http()
      .put('/api/articles/coherent')
      .set(authHeader(user.token))
      .send({ article: { body: 'two' } })
      .expect(200);
    expect(
      await staleFor(
        async () => (await b.http().get('/api/articles/coherent')).body.article?.body === 'two',
      ),
    ).toBeLessThan(STALE_BOUND_MS);

    await a
      .http()
      .post('/api/articles')
      .set(authHeader(user.token))
      .send({ article: { title: 'Second', description: 'd', body: 'b', tagList: ['co'] } })
      .expect(201);
    expect(
      await staleFor(
        async () => (await b.http().get('/api/articles?tag=co')).body.articlesCount === 2,
      ),
    ).toBeLessThan(STALE_BOUND_MS);
  });

  it("a list page the other instance answers from memory shows an author's new bio within the bound", async () => {
    const author = await registerUser(a);
    await a
      .http()
      .post('/api/articles')
      .set(authHeader(author.token))
      .send({
        article: { title: 'Remembered page', description: 'd', body: 'b', tagList: ['memo'] },
      })
      .expect(201);
    const path = '/api/articles?tag=memo';
    const reader = await registerUser(b);
    // Warm: the page, its article and its author are tier objects; the page is then answered
    // from what it resolved to (ArticlePages), anonymous and authenticated.
    for (let i = 0; i < 3; i++) {
      await b.http().get(path).expect(200);
      await b.http().get(path).set(authHeader(reader.token)).expect(200);
    }
    // The bio is not part of the page's key: only the author's own invalidation can end it.
    await a
      .http()
      .put('/api/user')
      .set(authHeader(author.token))
      .send({ user: { bio: 'rewritten' } })
      .expect(200);
    const bioOn = async (token?: string) => {
      const request = b.http().get(path);
      const response = await (token ? request.set(authHeader(token)) : request);
      return (response.body as { articles: { author: { bio: string | null } }[] }).articles[0]
        ?.author.bio;
    };
    expect(await staleFor(async () => (await bioOn()) === 'rewritten')).toBeLessThan(
      STALE_BOUND_MS,
    );
    expect(await bioOn(reader.token)).toBe('rewritten');
  });

  it("a favorite on one instance flips the viewer's flag on the other, whose tier holds their favorites", async () => {
    const author = await registerUser(a);
    const viewer = await registerUser(a);
    const slug = await createArticle(a, author.token, { title: 'Liked Twice' });
    const viewerId = await userId(a, viewer.username);
    const path = `/api/articles/${slug}`;
    const favorited = async () =>
      (await b.http().get(path).set(authHeader(viewer.token)).expect(200)).body.article
        .favorited as boolean;
    // Reads on b until its tier holds the viewer's favorites: its flags then ask Redis nothing.
    const heldByB = () =>
      until(async () => {
        await favorited();
        return b.app.get(FavoriteIdsCache).heldSet(viewerId) instanceof Set;
      });
    await heldByB();
    expect(await favorited()).toBe(false);

    for (const favorite of [true, false, true]) {
      const write = a.http()[favorite ? 'post' : 'delete'](`${path}/favorite`);
      const body = (await write.set(authHeader(viewer.token)).expect(200)).body;
      expect(body.article.favorited).toBe(favorite);
      expect(await staleFor(async () => (await favorited()) === favorite)).toBeLessThan(
        STALE_BOUND_MS,
      );
      await heldByB(); // again after each eviction: the next round starts from memory too
    }
  });

  it('a logout on one instance bites on the next request on the other (session tier)', async () => {
    const user = await registerUser(a);
    for (let i = 0; i < 3; i++) {
      await b.http().get('/api/user').set(authHeader(user.token)).expect(200);
    }
    const sql = await b.sqlDuring(() =>
      b.http().get('/api/user').set(authHeader(user.token)).expect(200),
    );
    // The session came from the in-process tier (the user row itself may still be read).
    expect(sql).toBeLessThanOrEqual(1);
    await a.http().post('/api/users/logout').set(authHeader(user.token)).expect(204);
    expect(
      await staleFor(
        async () => (await b.http().get('/api/user').set(authHeader(user.token))).status === 401,
      ),
    ).toBeLessThan(STALE_BOUND_MS);
  });
});

describe('in-process tier when the invalidation channel drops', () => {
  const server = new RedisServerProcess(7550);
  let t: TestApp;

  beforeAll(async () => {
    await server.start();
    t = await bootApp({ REDIS_URL: server.url });
    await resetState(t);
    await until(() => tierOf(t).active);
  });
  afterAll(async () => {
    await t.close();
    await server.kill();
  });

  it('empties itself and stops serving when Redis goes away, and resumes once it is back', async () => {
    const user = await registerUser(t);
    for (let i = 0; i < 3; i++) await t.http().get(`/api/profiles/${user.username}`).expect(200);
    expect(tierOf(t).size).toBeGreaterThan(0);

    await server.kill();
    await until(() => !tierOf(t).active);
    expect(tierOf(t).size).toBe(0);
    // Served from Postgres meanwhile, not from what the tier can no longer vouch for.
    const sql = await t.sqlDuring(() => t.http().get(`/api/profiles/${user.username}`).expect(200));
    expect(sql).toBeGreaterThan(0);
    expect(tierOf(t).size).toBe(0);

    await server.start(); // restarted empty
    await until(() => tierOf(t).active, 15_000);
    await t.http().get(`/api/profiles/${user.username}`).expect(200);
    await t.http().get(`/api/profiles/${user.username}`).expect(200);
    expect(tierOf(t).size).toBeGreaterThan(0);
  }, 30_000);
});
