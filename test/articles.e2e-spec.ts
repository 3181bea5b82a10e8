import type { Test } from 'supertest';
import { ViewsCounter } from '../src/views/views-counter.service.js';
import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, registerUser, userId, type RegisteredUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

describe('articles, comments, favorites, tags and feed (RealWorld)', () => {
  let t: TestApp;
  let jake: RegisteredUser;
  let anna: RegisteredUser;

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
    jake = await registerUser(t);
    anna = await registerUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const as = (user: RegisteredUser, request: Test): Test => request.set(authHeader(user.token));
  const create = (user: RegisteredUser, article: Record<string, unknown>) =>
    as(user, t.http().post('/api/articles')).send({ article });

  it('creates an article (201) in the exact RealWorld shape, tags sorted by name', async () => {
    const response = await create(jake, {
      title: 'How to train your dragon',
      description: 'Ever wonder how?',
      body: 'You have to believe',
      tagList: ['training', 'dragons', 'angular'],
    }).expect(201);
    expect(response.body).toEqual({
      article: {
        slug: 'how-to-train-your-dragon',
        title: 'How to train your dragon',
        description: 'Ever wonder how?',
        body: 'You have to believe',
        tagList: ['angular', 'dragons', 'training'],
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        favorited: false,
        favoritesCount: 0,
        viewsCount: 0,
        author: { username: jake.username, bio: null, image: null, following: false },
      },
    });
  });

  it('gives a clashing title a unique slug', async () => {
    const again = await create(anna, {
      title: 'How to train your dragon',
      description: 'd',
      body: 'b',
    }).expect(201);
    expect(again.body.article.slug).toMatch(/^how-to-train-your-dragon-[0-9a-f]{8}$/);
  });

  it('rejects invalid articles with 422 and stores nothing', async () => {
    const before = (await t.db.query(`SELECT count(*)::int AS n FROM articles`))[0].n;
    for (const article of [
      { title: '', description: 'd', body: 'b' },
      { title: 't', description: '  ', body: 'b' },
      { title: 't', description: 'd', body: '' },
      { title: 't', description: 'd' },
      { title: 't', description: 'd', body: 'b', tagList: 'x' },
      {
        title: 't',
        description: 'd',
        body: 'b',
        tagList: Array.from({ length: 11 }, (_, i) => `t${i}`),
      },
      { title: 'x'.repeat(256), description: 'd', body: 'b' },
      { title: 't', description: 'd', body: 'b', extra: 1 },
    ]) {
      const response = await create(jake, article).expect(422);
      expect(response.body.errors).toEqual(expect.any(Object));
    }
    await t
      .http()
      .post('/api/articles')
      .send({ article: { title: 't', description: 'd', body: 'b' } })
      .expect(401);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM articles`))[0].n).toBe(before);
  });

  it('lets only the author edit (403 otherwise); a new title changes the slug', async () => {
    await create(jake, { title: 'Editable', description: 'd', body: 'b' }).expect(201);
    const forbidden = await as(anna, t.http().put('/api/articles/editable'))
      .send({ article: { body: 'hacked' } })
      .expect(403);
    expect(forbidden.body).toEqual({
      errors: { body: ['only the author may change this article'] },
    });
    await t.http().get('/api/articles/editable').expect(200); // now cached
    const edited = await as(jake, t.http().put('/api/articles/editable'))
      .send({ article: { title: 'Edited title', body: 'new body' } })
      .expect(200);
    expect(edited.body.article).toMatchObject({
      slug: 'edited-title',
      title: 'Edited title',
      body: 'new body',
    });
    await t.http().get('/api/articles/editable').expect(404);
    const read = await t.http().get('/api/articles/edited-title').expect(200);
    expect(read.body.article.body).toBe('new body');
  });

  it('serves a cached article with no SQL on the second read; an edit shows on the next read', async () => {
    await create(jake, { title: 'Cached one', description: 'd', body: 'v1' }).expect(201);
    await t.http().get('/api/articles/cached-one').expect(200);
    const sql = await t.sqlDuring(() => t.http().get('/api/articles/cached-one').expect(200));
    expect(sql).toBe(0);
    await as(jake, t.http().put('/api/articles/cached-one'))
      .send({ article: { body: 'v2' } })
      .expect(200);
    expect((await t.http().get('/api/articles/cached-one').expect(200)).body.article.body).toBe(
      'v2',
    );
  });

  it('answers 404 for unknown or hostile slugs, cached as negative entries', async () => {
    await t.http().get('/api/articles/no-such-article').expect(404);
    const sql = await t.sqlDuring(async () => {
      const response = await t.http().get('/api/articles/no-such-article').expect(404);
      expect(response.body).toEqual({ errors: { body: ['article not found'] } });
    });
    expect(sql).toBe(0);
    for (const slug of ['a%01b', '%F0%9F%90%89'])
      await t.http().get(`/api/articles/${slug}`).expect(404);
    // NUL is refused where input enters, like in any other field (422 naming it).
    const nul = await t.http().get('/api/articles/%00').expect(422);
    expect(Object.keys(nul.body.errors as object)).toEqual(['slug']);
  });

  it('favorites are idempotent, counted, and each viewer sees their own flag', async () => {
    const writer = await registerUser(t);
    await create(writer, { title: 'Favorite me', description: 'd', body: 'b' }).expect(201);
    await t.http().get('/api/articles/favorite-me').expect(200); // cache it
    const first = await as(jake, t.http().post('/api/articles/favorite-me/favorite')).expect(200);
    expect(first.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });
    const twice = await as(jake, t.http().post('/api/articles/favorite-me/favorite')).expect(200);
    expect(twice.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });
    for (let round = 0; round < 2; round++) {
      expect(
        (await as(jake, t.http().get('/api/articles/favorite-me')).expect(200)).body.article
          .favorited,
      ).toBe(true);
      expect(
        (await as(anna, t.http().get('/api/articles/favorite-me')).expect(200)).body.article
          .favorited,
      ).toBe(false);
      expect(
        (await t.http().get('/api/articles/favorite-me').expect(200)).body.article,
      ).toMatchObject({
        favorited: false,
        favoritesCount: 1,
      });
    }
    const profile = await t.http().get(`/api/profiles/${writer.username}`).expect(200);
    expect(profile.body.profile).toMatchObject({ articlesCount: 1, favoritesReceivedCount: 1 });
    await as(jake, t.http().delete('/api/articles/favorite-me/favorite')).expect(200);
    const off = await as(jake, t.http().delete('/api/articles/favorite-me/favorite')).expect(200);
    expect(off.body.article).toMatchObject({ favorited: false, favoritesCount: 0 });
    expect(
      (await t.http().get(`/api/profiles/${writer.username}`)).body.profile.favoritesReceivedCount,
    ).toBe(0);
  });

  it('lists newest first without bodies, filters by tag/author/favorited, paginates', async () => {
    const author = await registerUser(t);
    for (let i = 1; i <= 5; i++) {
      await create(author, {
        title: `List item ${i}`,
        description: 'd',
        body: 'b',
        tagList: i % 2 ? ['odd'] : ['even'],
      }).expect(201);
    }
    const byAuthor = await t
      .http()
      .get(`/api/articles?author=${author.username}&limit=2&offset=1`)
      .expect(200);
    expect(byAuthor.body.articlesCount).toBe(5);
    expect(byAuthor.body.articles.map((a: { title: string }) => a.title)).toEqual([
      'List item 4',
      'List item 3',
    ]);
    expect(byAuthor.body.articles[0]).not.toHaveProperty('body');
    const odd = await t.http().get(`/api/articles?tag=odd&author=${author.username}`).expect(200);
    expect(odd.body.articlesCount).toBe(3);
    await as(anna, t.http().post('/api/articles/list-item-2/favorite')).expect(200);
    const favorited = await t.http().get(`/api/articles?favorited=${anna.username}`).expect(200);
    expect(favorited.body.articles.map((a: { slug: string }) => a.slug)).toEqual(['list-item-2']);
    const nobody = await t.http().get('/api/articles?author=nobody-here').expect(200);
    expect(nobody.body).toEqual({ articles: [], articlesCount: 0 });
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=abc', 'offset=1.5']) {
      await t.http().get(`/api/articles?${query}`).expect(422);
    }
  });

  it('a write is visible in lists and tags on the next read; delete removes it everywhere', async () => {
    const author = await registerUser(t);
    await t.http().get(`/api/articles?author=${author.username}`).expect(200); // cache the empty list
    await t.http().get('/api/tags').expect(200);
    await create(author, {
      title: 'Fresh news',
      description: 'd',
      body: 'b',
      tagList: ['zebra-tag'],
    }).expect(201);
    const list = await t.http().get(`/api/articles?author=${author.username}`).expect(200);
    expect(list.body.articlesCount).toBe(1);
    expect((await t.http().get('/api/tags').expect(200)).body.tags).toContain('zebra-tag');

    const deleted = await as(anna, t.http().delete('/api/articles/fresh-news')).expect(403);
    expect(deleted.body.errors.body).toHaveLength(1);
    await as(author, t.http().delete('/api/articles/fresh-news')).expect(204);
    await t.http().get('/api/articles/fresh-news').expect(404);
    expect((await t.http().get(`/api/articles?author=${author.username}`)).body.articlesCount).toBe(
      0,
    );
    expect((await t.http().get('/api/tags')).body.tags).not.toContain('zebra-tag');
    expect(
      (await t.http().get(`/api/profiles/${author.username}`)).body.profile.articlesCount,
    ).toBe(0);
  });

  it("lists show each article as GET /articles/:slug does minus the body, with the viewer's flags from Redis or Postgres", async () => {
    const author = await registerUser(t);
    const viewer = await registerUser(t);
    const { slug } = (
      await create(author, {
        title: 'Flags check',
        description: 'd',
        body: 'the body',
        tagList: ['f'],
      })
    ).body.article as { slug: string };
    await as(viewer, t.http().post(`/api/profiles/${author.username}/follow`)).expect(200);
    await as(viewer, t.http().post(`/api/articles/${slug}/favorite`)).expect(200);
    const keys = t.app.get(RedisKeys);
    const listItem = async () =>
      (await as(viewer, t.http().get(`/api/articles?author=${author.username}`)).expect(200)).body
        .articles[0] as Record<string, unknown>;

    const single = (await as(viewer, t.http().get(`/api/articles/${slug}`)).expect(200)).body
      .article as Record<string, unknown>;
    expect(single).toMatchObject({ body: 'the body', favorited: true, favoritesCount: 1 });
    expect(single.author).toEqual({
      username: author.username,
      bio: null,
      image: null,
      following: true,
    });
    // viewsCount moves with every GET of the article; every other field is the same.
    const sameAsSingle: Record<string, unknown> = { ...single, viewsCount: expect.any(Number) };
    delete sameAsSingle.body;
    expect(await listItem()).toEqual(sameAsSingle);
    // Structures Redis does not hold (evicted, lost) read as "not loaded": Postgres answers.
    // One key per DEL: they live in different hash slots on Cluster.
    await t.redis.del(keys.following(await userId(t, viewer.username)));
    await t.redis.del(keys.favorites(await userId(t, viewer.username)));
    expect(await listItem()).toEqual(sameAsSingle);
    // And the viewer's unfollow and unfavorite show at once, loaded or not.
    await as(viewer, t.http().delete(`/api/profiles/${author.username}/follow`)).expect(200);
    await as(viewer, t.http().delete(`/api/articles/${slug}/favorite`)).expect(200);
    expect(await listItem()).toMatchObject({
      favorited: false,
      favoritesCount: 0,
      author: { username: author.username, following: false },
    });
  });

  it('feed shows articles of followed authors, and follows/unfollows change it', async () => {
    const reader = await registerUser(t);
    const writer = await registerUser(t);
    await create(writer, { title: 'For my followers', description: 'd', body: 'b' }).expect(201);
    const empty = await as(reader, t.http().get('/api/articles/feed')).expect(200);
    expect(empty.body).toEqual({ articles: [], articlesCount: 0 });
    await as(reader, t.http().post(`/api/profiles/${writer.username}/follow`)).expect(200);
    const feed = await as(reader, t.http().get('/api/articles/feed')).expect(200);
    expect(feed.body.articlesCount).toBe(1);
    expect(feed.body.articles[0]).toMatchObject({
      slug: 'for-my-followers',
      author: { following: true },
    });
    await create(writer, { title: 'Soon deleted', description: 'd', body: 'b' }).expect(201);
    expect((await as(reader, t.http().get('/api/articles/feed?limit=1'))).body).toMatchObject({
      articlesCount: 2,
      articles: [{ slug: 'soon-deleted' }],
    });
    await as(writer, t.http().delete('/api/articles/soon-deleted')).expect(204);
    expect((await as(reader, t.http().get('/api/articles/feed'))).body.articlesCount).toBe(1);
    await as(reader, t.http().delete(`/api/profiles/${writer.username}/follow`)).expect(200);
    expect((await as(reader, t.http().get('/api/articles/feed'))).body.articlesCount).toBe(0);
    await t.http().get('/api/articles/feed').expect(401);
    await as(reader, t.http().get('/api/articles/feed?limit=0')).expect(422);
  });

  it('answers 401 to anonymous writes and 404 to writes on unknown articles', async () => {
    await create(jake, { title: 'Guarded', description: 'd', body: 'b' }).expect(201);
    await t
      .http()
      .put('/api/articles/guarded')
      .send({ article: { body: 'x' } })
      .expect(401);
    await t.http().delete('/api/articles/guarded').expect(401);
    await t.http().post('/api/articles/guarded/favorite').expect(401);
    await t.http().delete('/api/articles/guarded/favorite').expect(401);
    await t
      .http()
      .post('/api/articles/guarded/comments')
      .send({ comment: { body: 'x' } })
      .expect(401);
    await t.http().delete('/api/articles/guarded/comments/1').expect(401);
    await as(jake, t.http().put('/api/articles/nope'))
      .send({ article: { body: 'x' } })
      .expect(404);
    await as(jake, t.http().delete('/api/articles/nope')).expect(404);
    await as(jake, t.http().post('/api/articles/nope/favorite')).expect(404);
    await t.http().get('/api/articles/nope/comments').expect(404);
    await as(jake, t.http().put('/api/articles/guarded'))
      .send({ article: { title: '' } })
      .expect(422);
    await as(jake, t.http().put('/api/articles/guarded'))
      .send({ article: { author: 'x' } })
      .expect(422);
    expect((await t.http().get('/api/articles/guarded').expect(200)).body.article.body).toBe('b');
  });

  it("favorites and comments racing the article's deletion answer 200 or 404, never 500", async () => {
    const writer = await registerUser(t);
    const fans = [jake, anna, await registerUser(t), await registerUser(t)];
    await create(writer, { title: 'Short lived', description: 'd', body: 'b' }).expect(201);
    const [deletion, ...others] = await Promise.all([
      as(writer, t.http().delete('/api/articles/short-lived')),
      ...fans.map((fan) => as(fan, t.http().post('/api/articles/short-lived/favorite'))),
      ...fans.map((fan) =>
        as(fan, t.http().post('/api/articles/short-lived/comments')).send({
          comment: { body: 'hi' },
        }),
      ),
    ]);
    expect(deletion.status).toBe(204);
    for (const response of others) expect([200, 404]).toContain(response.status);
    const profile = await t.http().get(`/api/profiles/${writer.username}`).expect(200);
    expect(profile.body.profile).toMatchObject({ articlesCount: 0, favoritesReceivedCount: 0 });
  });

  it('a favorite through a cached copy of an article deleted meanwhile answers 404; an unfavorite answers as a read does; neither changes anything', async () => {
    await create(jake, { title: 'Gone quietly', description: 'd', body: 'b' }).expect(201);
    await t.http().get('/api/articles/gone-quietly').expect(200); // cached: slug and article
    await as(anna, t.http().post('/api/articles/gone-quietly/favorite')).expect(200);
    // Deleted behind the cache's back: the cached copy still says it exists, as it may on another
    // instance for the invalidation delay after a real delete.
    await t.db.query(`DELETE FROM articles WHERE slug = 'gone-quietly'`);
    const theirFavorites = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM favorites f JOIN users u ON u.id = f.user_id
            WHERE u.username = ANY($1)`,
          [[jake.username, anna.username]],
        )
      )[0].n as number;
    const before = await theirFavorites();
    // The favorite's own statement finds the article gone (its foreign key).
    await as(jake, t.http().post('/api/articles/gone-quietly/favorite')).expect(404);
    // An unfavorite deletes nothing (the rows went with the article) and answers with what a read
    // of this instance shows now: the cached copy, until its invalidation arrives.
    const read = await t.http().get('/api/articles/gone-quietly');
    const unfavorite = await as(anna, t.http().delete('/api/articles/gone-quietly/favorite'));
    expect(unfavorite.status).toBe(read.status);
    expect(await theirFavorites()).toBe(before);
  });

  it('a comment through a cached copy of an article deleted meanwhile answers 404; its list and a delete find no comment; nothing changes', async () => {
    await create(jake, { title: 'Gone for comments', description: 'd', body: 'b' }).expect(201);
    await t.http().get('/api/articles/gone-for-comments').expect(200); // cached: slug and article
    const added = await as(anna, t.http().post('/api/articles/gone-for-comments/comments'))
      .send({ comment: { body: 'before the delete' } })
      .expect(200);
    // Warm, a list costs its one comments query: the article and the authors come from the caches.
    await t.http().get('/api/articles/gone-for-comments/comments').expect(200);
    const listSql = await t.sqlDuring(() =>
      t.http().get('/api/articles/gone-for-comments/comments').expect(200),
    );
    expect(listSql).toBe(1);
    // Deleted behind the cache's back, as another instance may see it for the invalidation delay.
    await t.db.query(`DELETE FROM articles WHERE slug = 'gone-for-comments'`);
    const comments = async () =>
      (await t.db.query(`SELECT count(*)::int AS n FROM comments`))[0].n as number;
    const before = await comments();
    // The comment's insert finds the article gone (its foreign key).
    await as(anna, t.http().post('/api/articles/gone-for-comments/comments'))
      .send({ comment: { body: 'after the delete' } })
      .expect(404);
    // The list answers as this instance's read of the article does (the cached copy): no comment.
    const read = await t.http().get('/api/articles/gone-for-comments');
    expect(read.status).toBe(200);
    const list = await t.http().get('/api/articles/gone-for-comments/comments').expect(200);
    expect(list.body).toEqual({ comments: [] });
    const id = added.body.comment.id as number;
    await as(anna, t.http().delete(`/api/articles/gone-for-comments/comments/${id}`)).expect(404);
    expect(await comments()).toBe(before);
  });

  it('comments: add (200), list, delete by the author only (403 for strangers, 204)', async () => {
    await create(jake, { title: 'Discuss', description: 'd', body: 'b' }).expect(201);
    const added = await as(anna, t.http().post('/api/articles/discuss/comments'))
      .send({ comment: { body: 'Thank you so much!' } })
      .expect(200);
    expect(added.body.comment).toEqual({
      id: expect.any(Number),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      body: 'Thank you so much!',
      author: { username: anna.username, bio: null, image: null, following: false },
    });
    const list = await t.http().get('/api/articles/discuss/comments').expect(200);
    expect(list.body.comments).toHaveLength(1);
    const id = added.body.comment.id as number;
    await as(jake, t.http().delete(`/api/articles/discuss/comments/${id}`)).expect(403);
    await as(anna, t.http().delete(`/api/articles/discuss/comments/abc`)).expect(422);
    await as(anna, t.http().delete(`/api/articles/discuss/comments/99999999999`)).expect(404);
    await as(anna, t.http().delete(`/api/articles/discuss/comments/${id}`)).expect(204);
    await as(anna, t.http().delete(`/api/articles/discuss/comments/${id}`)).expect(404);
    await as(anna, t.http().post('/api/articles/discuss/comments'))
      .send({ comment: { body: '' } })
      .expect(422);
    await as(anna, t.http().post('/api/articles/nope/comments'))
      .send({ comment: { body: 'x' } })
      .expect(404);
  });

  it('counts views in Redis and flushes them to Postgres (write-behind)', async () => {
    const writer = await registerUser(t);
    await create(writer, { title: 'Viewed', description: 'd', body: 'b' }).expect(201);
    for (let i = 0; i < 5; i++) await t.http().get('/api/articles/viewed').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = await t.http().get('/api/articles/viewed').expect(200);
    // Each read counts itself before it answers; all six are still pending in Redis.
    expect(before.body.article.viewsCount).toBe(6);
    // List items show the views flushed so far (none yet): a list page reads no pending views.
    const listed = async () =>
      (await t.http().get(`/api/articles?author=${writer.username}`).expect(200)).body
        .articles[0] as { slug: string; viewsCount: number };
    expect(await listed()).toMatchObject({ slug: 'viewed', viewsCount: 0 });
    expect(
      (await t.db.query(`SELECT views_count FROM articles WHERE slug = 'viewed'`))[0].views_count,
    ).toBe('0');
    await t.app.get(ViewsCounter).flush();
    expect(
      (await t.db.query(`SELECT views_count FROM articles WHERE slug = 'viewed'`))[0].views_count,
    ).toBe('6');
    // The flush moves the delta into the cached article instead of evicting it: no SQL here.
    let after!: { body: { article: { viewsCount: number } } };
    const sql = await t.sqlDuring(async () => {
      after = await t.http().get('/api/articles/viewed').expect(200);
    });
    expect(sql).toBe(0);
    expect(after.body.article.viewsCount).toBe(7); // 6 flushed + this one pending
    expect(await listed()).toMatchObject({ slug: 'viewed', viewsCount: 6 }); // the flushed ones
    const profile = await t.http().get(`/api/profiles/${writer.username}`).expect(200);
    expect(profile.body.profile).toMatchObject({ articlesCount: 1 });
  });
});
