import { existsSync } from 'node:fs';
import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { RedisServerProcess as RedisServer } from './support/redis-server.js';
import {
  freePort,
  MAIN,
  startServer as start,
  waitUntilServing,
  type Run,
} from './support/built-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** What "shows the write" may take on the healthy instance once it can reach Redis. */
const BOUND_MS = 10_000;
const RELAY = { OUTBOX_RELAY_INTERVAL_MS: '500', OUTBOX_GRACE_MS: '1000' };

/**
 * Durable invalidation with real processes: a redis-server of our own, instance B in-process
 * behind one TCP proxy, instance A the built server (a child process) behind another. A writes
 * while it cannot reach Redis; B must show every write (no stale entry) within a bound, also
 * when A is SIGKILLed before Redis is back.
 */
describe('a writer partitioned from Redis, then killed', () => {
  const redis = new RedisServer(7300);
  const proxyA = new TcpProxy('127.0.0.1', redis.port);
  const proxyB = new TcpProxy('127.0.0.1', redis.port);
  let b: TestApp;
  let a: Run;
  let baseA: string;

  /** A request to the child-process instance A. */
  const callA = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${baseA}${path}`, {
      method,
      headers: {
        ...authHeader(token),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { article?: { slug: string } },
    };
  };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
    await redis.start();
    b = await bootApp({ REDIS_URL: `redis://127.0.0.1:${await proxyB.start()}/0`, ...RELAY });
    await resetState(b);
    const port = await freePort();
    baseA = `http://127.0.0.1:${port}`;
    a = start({
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      REDIS_URL: `redis://127.0.0.1:${await proxyA.start()}/0`,
      ...RELAY,
    });
    await waitUntilServing(baseA, a);
  }, 60_000);

  afterAll(async () => {
    if (a?.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    try {
      await proxyA.cut();
      await b?.close();
      await proxyB.cut();
    } finally {
      await redis.kill();
    }
  });

  /** Warms B's caches with what A's writes will make stale. */
  const warm = async (author: RegisteredUser, other: RegisteredUser) => {
    await b.http().get('/api/tags').expect(200);
    await b.http().get('/api/articles').expect(200);
    await b.http().get(`/api/profiles/${author.username}`).expect(200);
    await b.http().get(`/api/profiles/${other.username}`).expect(200);
    await b.http().get(`/api/profiles/${other.username}/followers`).expect(200);
  };

  /**
   * A's four writes: an article with a new tag, a favorite of it (after B read it once, so B may
   * hold it cached with no favorite), a rename, a follow.
   */
  const write = async (author: RegisteredUser, other: RegisteredUser, tag: string) => {
    const article = await callA('POST', '/api/articles', author.token, {
      article: { title: `About ${tag}`, description: 'd', body: 'b', tagList: [tag] },
    });
    expect(article.status).toBe(201);
    const slug = article.body.article!.slug;
    await b.http().get(`/api/articles/${slug}`).expect(200);
    const favorite = await callA('POST', `/api/articles/${slug}/favorite`, other.token);
    expect(favorite.status).toBe(200);
    const renamed = `${author.username}x`;
    const user = await callA('PUT', '/api/user', author.token, { user: { username: renamed } });
    expect(user.status).toBe(200);
    const follow = await callA('POST', `/api/profiles/${other.username}/follow`, author.token);
    expect(follow.status).toBe(200);
    return { slug, renamed };
  };

  /** Every entry B serves that A's writes touched; the stale ones, polled until none or BOUND_MS. */
  const staleOnB = async (
    author: RegisteredUser,
    other: RegisteredUser,
    tag: string,
    written: { slug: string; renamed: string },
  ): Promise<string[]> => {
    const check = async (): Promise<string[]> => {
      const stale: string[] = [];
      const tags = (await b.http().get('/api/tags').expect(200)).body.tags as string[];
      if (!tags.includes(tag)) stale.push('tags');
      const list = (await b.http().get('/api/articles').expect(200)).body.articles as {
        slug: string;
      }[];
      if (list[0]?.slug !== written.slug) stale.push('article list');
      const single = (await b.http().get(`/api/articles/${written.slug}`).expect(200)).body
        .article as { favoritesCount: number };
      if (single.favoritesCount !== 1) stale.push('favorites count');
      const byTag = (await b.http().get(`/api/articles?tag=${tag}`).expect(200)).body;
      if (byTag.articlesCount !== 1) stale.push('list by tag');
      if ((await b.http().get(`/api/profiles/${written.renamed}`)).status !== 200)
        stale.push('new name');
      if ((await b.http().get(`/api/profiles/${author.username}`)).status !== 404)
        stale.push('old name');
      const profile = (await b.http().get(`/api/profiles/${other.username}`).expect(200)).body
        .profile;
      if (profile.followersCount !== 1) stale.push('followers count');
      const followers = (
        await b.http().get(`/api/profiles/${other.username}/followers`).expect(200)
      ).body.profiles as { username: string }[];
      if (followers[0]?.username !== written.renamed) stale.push('followers list');
      return stale;
    };
    return pollUntil(check, (stale) => stale.length === 0, BOUND_MS);
  };

  const outboxRows = async () =>
    Number((await b.db.query(`SELECT count(*)::int AS n FROM cache_outbox`))[0].n);

  it('only A partitioned: B shows every write of A at once (A notified B through Postgres)', async () => {
    const [author, other] = [await registerUser(b), await registerUser(b)];
    await warm(author, other);
    await proxyA.cut();
    const written = await write(author, other, 'partitioned-tag');
    expect(b.redis.isReady).toBe(true); // B reads through Redis: a lost invalidation would show
    expect(await staleOnB(author, other, 'partitioned-tag', written)).toEqual([]);
    // The rows are deleted once applied, just after B shows the writes: poll (a slow CI run once
    // found one left at the first look, and the next case then counted it).
    expect(await pollUntil(outboxRows, (rows) => rows === 0, BOUND_MS)).toBe(0);
    await proxyA.restore();
  });

  it('A and B partitioned, A killed before Redis is back: B applies A’s outbox, 0 stale', async () => {
    const [author, other] = [await registerUser(b), await registerUser(b)];
    await warm(author, other);
    await Promise.all([proxyA.cut(), proxyB.cut()]);
    const written = await write(author, other, 'crash-tag');
    // Nobody could apply them: they wait in Postgres, committed with the writes.
    expect(await outboxRows()).toBe(4);
    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));
    await proxyB.restore();
    // While B's client is still reconnecting it reads Postgres (fresh by construction): only
    // reads served from Redis can be stale, so check once B is back on Redis.
    const waiting = await pollUntil(
      async () => (b.redis.isReady ? await outboxRows() : -1),
      (rows) => rows === 0,
      BOUND_MS,
    );
    expect(waiting).toBe(0); // B is back on Redis and its relay applied A's four rows
    const sql = await b.sqlDuring(async () =>
      expect(await staleOnB(author, other, 'crash-tag', written)).toEqual([]),
    );
    expect(sql).toBeGreaterThan(0); // the first reads after the invalidation refill from Postgres
    // ...and the next ones are served by the caches, fresh. The SQL counter is process-wide, so a
    // statement of B's own background work (relay poll, data-loss check) can land in one window:
    // some read among a few must cost none.
    const cachedSql: number[] = [];
    for (let i = 0; i < 5 && !cachedSql.includes(0); i++) {
      cachedSql.push(
        await b.sqlDuring(async () => {
          const tags = await b.http().get('/api/tags').expect(200);
          expect(tags.body.tags).toContain('crash-tag');
        }),
      );
    }
    expect(cachedSql).toContain(0);
  });
});
