import pg from 'pg';
import type { Response } from 'supertest';
import {
  authHeader,
  createArticle,
  registerUser,
  userId,
  type RegisteredUser,
} from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { RouteTimer } from './support/route-timer.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';
import { RedisKeys } from '../src/redis/keys.js';

const LOCK_TIMEOUT_MS = 500;
/** lock_timeout plus generous room for the route's own work: nothing waits for the lock holder. */
const BOUND_MS = LOCK_TIMEOUT_MS + 1500;

/**
 * A slow Postgres is a 503 with Retry-After where the answer needs the slow part, and no failure
 * elsewhere: `articles` is locked (ACCESS EXCLUSIVE, held by another connection) for the length
 * of a test. Routes that need it give up after lock_timeout; routes that do not (users, sessions,
 * follows, anything the cache answers) keep answering 200.
 */
describe('a locked articles table', () => {
  let app: TestApp;
  let locker: pg.Client;
  let author: RegisteredUser;
  let reader: RegisteredUser;
  let slug: string;
  const timer = new RouteTimer(BOUND_MS);
  const timed = timer.timed.bind(timer);

  const expect503 = (response: Response) => {
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({ errors: { body: ['the database is busy, retry shortly'] } });
  };

  async function lockArticles(): Promise<void> {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE articles IN ACCESS EXCLUSIVE MODE');
  }

  beforeAll(async () => {
    app = await bootApp({
      DATABASE_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
      DATABASE_STATEMENT_TIMEOUT_MS: '3000',
      DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
    });
    await resetState(app);
    locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await locker.connect();
    author = await registerUser(app);
    reader = await registerUser(app);
    slug = await createArticle(app, author.token, { title: 'Locked', tagList: ['lock-tag'] });
    // Warm what the cache-served routes need: tags, profiles and their count hashes.
    await app.http().get('/api/tags').expect(200);
    for (const user of [author, reader]) {
      await app.http().get(`/api/profiles/${user.username}`).expect(200);
    }
  });

  afterAll(async () => {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end();
    await app.close();
    timer.printIfAsked();
  });

  it('cache hits take no pool connection: warm authenticated reads issue no SQL', async () => {
    const reader$ = authHeader(reader.token);
    await app.http().get(`/api/profiles/${author.username}`).set(reader$).expect(200);
    await app.http().get(`/api/articles/${slug}`).set(reader$).expect(200);
    // Those reads answered the viewer's flags from Postgres and rebuild the viewer's following
    // and favorites sets in the background: wait for both, as any later request would find them.
    const keys = app.app.get(RedisKeys);
    const readerId = await userId(app, reader.username);
    const built = await pollUntil(
      async () => [
        await app.redis.exists(keys.following(readerId)),
        await app.redis.exists(keys.favorites(readerId)),
      ],
      (found) => found.every((one) => one === 1),
      5000,
    );
    expect(built).toEqual([1, 1]);
    const sql = await app.sqlDuring(async () => {
      // The auth guard's session check, the profile, its counts and the viewer's flags.
      await app.http().get(`/api/profiles/${author.username}`).set(reader$).expect(200);
      await app.http().get(`/api/articles/${slug}`).set(reader$).expect(200);
    });
    expect(sql).toBe(0);
  });

  it('routes that need articles answer 503 + Retry-After within the bound', async () => {
    await lockArticles();
    try {
      const reader$ = authHeader(reader.token);
      expect503(
        await timed('GET /api/articles?author= (cold)', () =>
          app.http().get(`/api/articles?author=${author.username}`),
        ),
      );
      // The reader follows nobody yet: their feed is empty without reading articles.
      expect(
        (
          await timed('GET /api/articles/feed (follows nobody)', () =>
            app.http().get('/api/articles/feed').set(reader$),
          )
        ).body,
      ).toEqual({ articles: [], articlesCount: 0 });
      expect503(
        await timed('POST /api/articles', () =>
          app
            .http()
            .post('/api/articles')
            .set(authHeader(author.token))
            .send({ article: { title: 'Blocked', description: 'd', body: 'b' } }),
        ),
      );
      expect503(
        await timed('POST /api/articles/:slug/favorite', () =>
          app.http().post(`/api/articles/${slug}/favorite`).set(reader$),
        ),
      );
    } finally {
      await locker.query('ROLLBACK');
    }
  });

  it('routes that do not need articles answer 200 meanwhile', async () => {
    await lockArticles();
    try {
      const reader$ = authHeader(reader.token);
      const warm = await timed('GET /api/profiles/:username (warm)', () =>
        app.http().get(`/api/profiles/${author.username}`).set(reader$),
      );
      expect(warm.status).toBe(200);
      expect(warm.body.profile).toMatchObject({ username: author.username, articlesCount: 1 });
      // Cold: the profile entry is gone (read from `users`); its count hash is still in Redis.
      await app.redis.del(`test:user:{${await userId(app, author.username)}}:profile`);
      const cold = await timed('GET /api/profiles/:username (cold)', () =>
        app.http().get(`/api/profiles/${author.username}`),
      );
      expect(cold.status).toBe(200);
      expect(cold.body.profile.articlesCount).toBe(1);
      const me = await timed('GET /api/user', () => app.http().get('/api/user').set(reader$));
      expect(me.status).toBe(200);
      expect(me.body.user.username).toBe(reader.username);
      const tags = await timed('GET /api/tags (cached)', () => app.http().get('/api/tags'));
      expect(tags.status).toBe(200);
      expect(tags.body.tags).toEqual(['lock-tag']);
      const follow = await timed('POST /api/profiles/:username/follow', () =>
        app.http().post(`/api/profiles/${author.username}/follow`).set(reader$),
      );
      expect(follow.status).toBe(200);
      expect(follow.body.profile).toMatchObject({ following: true, followersCount: 1 });
      const update = await timed('PUT /api/user', () =>
        app
          .http()
          .put('/api/user')
          .set(reader$)
          .send({ user: { bio: 'written under lock' } }),
      );
      expect(update.status).toBe(200);
      const health = await timed('GET /health', () => app.http().get('/health'));
      expect(health.status).toBe(200);
      // Concurrent: requests stuck on the lock hold their pool slot at most lock_timeout, so the
      // ones that do not need the table still answer: warm profiles without Postgres, the reader's
      // profile (just invalidated by the update) from `users` once a slot frees up.
      // The feed of a fresh follow is built from Postgres (timeline missing or its job pending).
      await app.redis.unlink(app.app.get(RedisKeys).timeline(await userId(app, reader.username)));
      const blocked = Array.from({ length: 8 }, () =>
        timed('GET /api/articles/feed (concurrent)', () =>
          app.http().get('/api/articles/feed').set(reader$),
        ),
      );
      const free = Array.from({ length: 8 }, (_, i) =>
        i % 4 === 0
          ? timed('GET /api/profiles/:username (concurrent, cold)', () =>
              app.http().get(`/api/profiles/${reader.username}`),
            )
          : timed('GET /api/profiles/:username (concurrent, warm)', () =>
              app.http().get(`/api/profiles/${author.username}`),
            ),
      );
      const [blockedResponses, freeResponses] = await Promise.all([
        Promise.all(blocked),
        Promise.all(free),
      ]);
      blockedResponses.forEach(expect503);
      expect(freeResponses.map((r) => r.status)).toEqual(free.map(() => 200));
    } finally {
      await locker.query('ROLLBACK');
    }
  });

  it('once the lock is released every route answers 200 again', async () => {
    const reader$ = authHeader(reader.token);
    await app.http().get(`/api/articles?author=${author.username}`).expect(200);
    const feed = await app.http().get('/api/articles/feed').set(reader$).expect(200);
    expect(feed.body.articles.map((a: { slug: string }) => a.slug)).toEqual([slug]);
    await app.http().post(`/api/articles/${slug}/favorite`).set(reader$).expect(200);
    await createArticle(app, author.token, { title: 'After the lock' });
    const profile = await app.http().get(`/api/profiles/${author.username}`).expect(200);
    expect(profile.body.profile).toMatchObject({ articlesCount: 2, favoritesReceivedCount: 1 });
  });
});
