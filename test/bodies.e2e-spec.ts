import type { Test } from 'supertest';
import { MAX_JSON_DEPTH } from '../src/common/body-parsers.js';
import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/**
 * Request bodies: JSON only. Browsers and the RealWorld Postman suite send
 * `Content-Type: application/json` with an empty body on follow, favorite and deletes; that is
 * no body, exactly like a request without the header.
 */
describe('request bodies', () => {
  let t: TestApp;
  let author: RegisteredUser;
  let reader: RegisteredUser;

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
    author = await registerUser(t);
    reader = await registerUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  async function newArticle(title: string): Promise<string> {
    const response = await t
      .http()
      .post('/api/articles')
      .set(authHeader(author.token))
      .send({ article: { title, description: 'd', body: 'b' } })
      .expect(201);
    return response.body.article.slug as string;
  }

  async function newComment(slug: string): Promise<number> {
    const response = await t
      .http()
      .post(`/api/articles/${slug}/comments`)
      .set(authHeader(reader.token))
      .send({ comment: { body: 'hi' } })
      .expect(200);
    return response.body.comment.id as number;
  }

  /** The two ways clients send "no body": the JSON header with nothing, and no header at all. */
  const emptyBodyVariants: [string, (request: Test) => Test][] = [
    [
      'Content-Type: application/json and an empty body',
      (r) => r.set('Content-Type', 'application/json'),
    ],
    [
      'Content-Type: application/json; charset=utf-8 and an empty body',
      (r) => r.set('Content-Type', 'application/json; charset=utf-8'),
    ],
    ['no Content-Type and no body', (r) => r],
  ];

  describe.each(emptyBodyVariants)('%s', (_name, withEmptyBody) => {
    it('follows and unfollows', async () => {
      const path = `/api/profiles/${author.username}/follow`;
      const followed = await withEmptyBody(t.http().post(path).set(authHeader(reader.token)));
      expect(followed.status).toBe(200);
      expect(followed.body.profile.following).toBe(true);
      const unfollowed = await withEmptyBody(t.http().delete(path).set(authHeader(reader.token)));
      expect(unfollowed.status).toBe(200);
      expect(unfollowed.body.profile.following).toBe(false);
    });

    it('favorites and unfavorites', async () => {
      const slug = await newArticle(`fav ${Math.random()}`);
      const path = `/api/articles/${slug}/favorite`;
      const favorited = await withEmptyBody(t.http().post(path).set(authHeader(reader.token)));
      expect(favorited.status).toBe(200);
      expect(favorited.body.article).toMatchObject({ favorited: true, favoritesCount: 1 });
      const unfavorited = await withEmptyBody(t.http().delete(path).set(authHeader(reader.token)));
      expect(unfavorited.status).toBe(200);
      expect(unfavorited.body.article).toMatchObject({ favorited: false, favoritesCount: 0 });
    });

    it('deletes a comment and an article', async () => {
      const slug = await newArticle(`del ${Math.random()}`);
      const id = await newComment(slug);
      const comment = await withEmptyBody(
        t.http().delete(`/api/articles/${slug}/comments/${id}`).set(authHeader(reader.token)),
      );
      expect(comment.status).toBe(204);
      const article = await withEmptyBody(
        t.http().delete(`/api/articles/${slug}`).set(authHeader(author.token)),
      );
      expect(article.status).toBe(204);
      await t.http().get(`/api/articles/${slug}`).expect(404);
    });

    it('logs out', async () => {
      const user = await registerUser(t);
      const response = await withEmptyBody(
        t.http().post('/api/users/logout').set(authHeader(user.token)),
      );
      expect(response.status).toBe(204);
      await t.http().get('/api/user').set(authHeader(user.token)).expect(401);
    });

    it('a route that needs a body answers 422 naming the missing field', async () => {
      const registration = await withEmptyBody(t.http().post('/api/users'));
      expect(registration.status).toBe(422);
      expect(registration.body.errors.user).toEqual(expect.arrayContaining([expect.any(String)]));
      const update = await withEmptyBody(t.http().put('/api/user').set(authHeader(reader.token)));
      expect(update.status).toBe(422);
      expect(update.body.errors.user).toEqual(expect.arrayContaining([expect.any(String)]));
    });
  });

  it('a whitespace-only JSON body is no body too', async () => {
    const response = await t
      .http()
      .post(`/api/profiles/${author.username}/follow`)
      .set(authHeader(reader.token))
      .set('Content-Type', 'application/json')
      .send('  \n ')
      .expect(200);
    expect(response.body.profile.following).toBe(true);
  });

  it('parses JSON declared with a charset parameter', async () => {
    const response = await t
      .http()
      .post('/api/users/login')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ user: { email: reader.email, password: reader.password } }))
      .expect(200);
    expect(response.body.user.username).toBe(reader.username);
  });

  it.each([
    ['text/plain', 'text/plain', '{"user":{}}'],
    ['a form', 'application/x-www-form-urlencoded', 'user[email]=a@b.c&user[password]=x'],
    ['XML', 'application/xml', '<user/>'],
    ['multipart', 'multipart/form-data; boundary=x', '--x\r\n\r\nhi\r\n--x--'],
  ])('%s body answers 415 in the RealWorld shape', async (_name, contentType, body) => {
    for (const path of ['/api/users', '/api/users/login']) {
      const response = await t.http().post(path).set('Content-Type', contentType).send(body);
      expect(response.status).toBe(415);
      expect(response.body).toEqual({ errors: { body: [expect.stringMatching(/content type/)] } });
    }
    const update = await t
      .http()
      .put('/api/user')
      .set(authHeader(reader.token))
      .set('Content-Type', contentType)
      .send(body);
    expect(update.status).toBe(415);
  });

  it('a body without any Content-Type answers 415', async () => {
    const response = await t.http().post('/api/users/login').send(Buffer.from('{"user":{}}'));
    // superagent sends a Buffer as it is, without a Content-Type (its typings omit `header`).
    const sent = (response.request as unknown as { header: Record<string, string> }).header;
    expect(sent['Content-Type']).toBeUndefined();
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ errors: { body: [expect.stringMatching(/content type/)] } });
  });

  it('a non-JSON content type with an empty body is no body', async () => {
    await t
      .http()
      .delete(`/api/profiles/${author.username}/follow`)
      .set(authHeader(reader.token))
      .set('Content-Type', 'text/plain')
      .expect(200);
  });

  it('malformed JSON answers 400 in the RealWorld shape', async () => {
    const response = await t
      .http()
      .post('/api/users')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send('{"user": {"username": ')
      .expect(400);
    expect(response.body).toEqual({ errors: { body: [expect.any(String)] } });
  });

  it('a body over BODY_LIMIT_BYTES answers 413 in the RealWorld shape', async () => {
    const response = await t
      .http()
      .post('/api/users')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ user: { username: 'x'.repeat(1_100_000) } }))
      .expect(413);
    expect(response.body).toEqual({ errors: { body: [expect.stringMatching(/too large/)] } });
    const form = await t
      .http()
      .post('/api/users')
      .set('Content-Type', 'text/plain')
      .send('x'.repeat(1_100_000));
    expect(form.status).toBe(413);
  });

  describe('nesting depth', () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

    it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels with 400`, async () => {
      const deep = `{"user":${nested(3000)}}`;
      expect(deep.length).toBeGreaterThan(15_000);
      const response = await t
        .http()
        .post('/api/users')
        .set('Content-Type', 'application/json')
        .send(deep)
        .expect(400);
      expect(response.body).toEqual({ errors: { body: [expect.stringMatching(/deeper than/)] } });
      const arrays = `${'['.repeat(3000)}${']'.repeat(3000)}`;
      await t
        .http()
        .put('/api/user')
        .set(authHeader(reader.token))
        .set('Content-Type', 'application/json')
        .send(arrays)
        .expect(400);
      await t
        .http()
        .post('/api/users')
        .set('Content-Type', 'application/json')
        .send(nested(MAX_JSON_DEPTH + 1))
        .expect(400);
    });

    it('accepts nesting up to the bound, and brackets inside strings do not count', async () => {
      // Parsed, then refused by validation (unknown field): 422, not 400.
      await t
        .http()
        .post('/api/users')
        .set('Content-Type', 'application/json')
        .send(nested(MAX_JSON_DEPTH))
        .expect(422);
      const bracketsInText = JSON.stringify({
        user: {
          username: 'brackets',
          email: 'brackets@x.io',
          password: `${'['.repeat(100)}pw\\"{`,
        },
      });
      await t
        .http()
        .post('/api/users')
        .set('Content-Type', 'application/json')
        .send(bracketsInText)
        .expect(201);
    });
  });
});
