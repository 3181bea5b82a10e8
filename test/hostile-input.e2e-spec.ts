import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/**
 * The 500s of issue #11, one test each: strings with NUL or lone surrogates and `null` for fields
 * the spec does not let clients clear. Each must be a 422 naming the field, with nothing stored.
 */
describe('hostile strings and nulls answer 422 naming the field and change nothing', () => {
  let t: TestApp;
  let author: RegisteredUser;
  let slug: string;

  const snapshot = async (): Promise<unknown> =>
    t.db.query(
      `SELECT (SELECT json_agg(u ORDER BY id) FROM users u) AS users,
              (SELECT json_agg(a ORDER BY id) FROM articles a) AS articles`,
    );

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
    author = await registerUser(t);
    const created = await t
      .http()
      .post('/api/articles')
      .set(authHeader(author.token))
      .send({ article: { title: 'Hostile', description: 'd', body: 'b', tagList: ['x'] } })
      .expect(201);
    slug = created.body.article.slug as string;
  });
  afterAll(async () => {
    await t.close();
  });

  const cases: [string, 'post' | 'put', () => string, () => object, string, boolean][] = [
    [
      'NUL in the login email',
      'post',
      () => '/api/users/login',
      () => ({ user: { email: 'a\u0000@x.io', password: 'whatever1' } }),
      'email',
      false,
    ],
    [
      'NUL in an article body on create',
      'post',
      () => '/api/articles',
      () => ({ article: { title: 'N', description: 'd', body: 'a\u0000b' } }),
      'body',
      true,
    ],
    [
      'NUL in an article body on edit',
      'put',
      () => `/api/articles/${slug}`,
      () => ({ article: { body: 'a\u0000b' } }),
      'body',
      true,
    ],
    [
      'a lone surrogate in the email on register',
      'post',
      () => '/api/users',
      () => ({ user: { username: 'lone', email: '\ud800x@x.io', password: 'password1' } }),
      'email',
      false,
    ],
    [
      'a lone surrogate in the email on PUT /api/user',
      'put',
      () => '/api/user',
      () => ({ user: { email: '\ud800x@x.io' } }),
      'email',
      true,
    ],
    ...(['username', 'email', 'password'].map((field) => [
      `null ${field} on PUT /api/user`,
      'put',
      () => '/api/user',
      () => ({ user: { [field]: null } }),
      field,
      true,
    ]) as [string, 'put', () => string, () => object, string, boolean][]),
    ...(['title', 'description', 'body', 'tagList'].map((field) => [
      `null ${field} on PUT article`,
      'put',
      () => `/api/articles/${slug}`,
      () => ({ article: { [field]: null } }),
      field,
      true,
    ]) as [string, 'put', () => string, () => object, string, boolean][]),
  ];

  it.each(cases)('%s', async (_name, method, path, body, field, authenticated) => {
    const before = await snapshot();
    let call = t.http()[method](path());
    if (authenticated) call = call.set(authHeader(author.token));
    // Serialised by hand: JSON.stringify keeps lone surrogates as \ud800 escapes, as a client sends.
    const response = await call
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body()));
    expect(response.status).toBe(422);
    expectRealWorldError(response.body, field);
    expect(await snapshot()).toEqual(before);
  });

  it('bio and image may still be cleared with null (the spec allows it)', async () => {
    await t
      .http()
      .put('/api/user')
      .set(authHeader(author.token))
      .send({ user: { bio: 'hello', image: 'https://example.com/a.png' } })
      .expect(200);
    const cleared = await t
      .http()
      .put('/api/user')
      .set(authHeader(author.token))
      .send({ user: { bio: null, image: null } })
      .expect(200);
    expect(cleared.body.user).toMatchObject({ bio: null, image: null });
  });

  it.each([
    ['a query string with NUL', '/api/articles?tag=a%00b', 'tag'],
    ['a slug with NUL', '/api/articles/a%00b', 'slug'],
    ['a slug with NUL under comments', '/api/articles/a%00b/comments', 'slug'],
    ['a username with NUL', '/api/profiles/a%00b', 'username'],
    ['a username with NUL on stats', '/api/profiles/a%00b/stats', 'username'],
    ['a follow-list cursor with NUL', '/api/profiles/x/following?cursor=a%00', 'cursor'],
  ])('%s answers 422 naming it', async (_name, path, field) => {
    const response = await t.http().get(path).expect(422);
    expectRealWorldError(response.body, field);
  });

  it('NUL in a JSON field name answers 422', async () => {
    const response = await t
      .http()
      .put('/api/user')
      .set(authHeader(author.token))
      .set('Content-Type', 'application/json')
      .send('{"user":{"b\\u0000io":"x"}}')
      .expect(422);
    expectRealWorldError(response.body, 'body');
  });

  it('a surrogate pair (an emoji) is fine', async () => {
    const response = await t
      .http()
      .put('/api/user')
      .set(authHeader(author.token))
      .send({ user: { bio: 'hi \ud83d\udca9' } })
      .expect(200);
    expect(response.body.user.bio).toBe('hi 💩');
  });
});
