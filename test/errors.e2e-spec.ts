import { authHeader, registerUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

describe('bad input gets a clear 4xx in the RealWorld error shape and changes nothing', () => {
  let t: TestApp;
  const userCount = async (): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM users`))[0].n as number;

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    [
      'an unknown field',
      { user: { username: 'a1', email: 'a1@x.io', password: 'password1', admin: true } },
      'admin',
    ],
    [
      'an unknown top-level field',
      { user: { username: 'a2', email: 'a2@x.io', password: 'password1' }, x: 1 },
      'x',
    ],
    [
      'a wrong type',
      { user: { username: 42, email: 'a3@x.io', password: 'password1' } },
      'username',
    ],
    ['a missing field', { user: { username: 'a4', password: 'password1' } }, 'email'],
    [
      'an invalid email',
      { user: { username: 'a5', email: 'not-an-email', password: 'password1' } },
      'email',
    ],
    [
      'a short password',
      { user: { username: 'a6', email: 'a6@x.io', password: 'short' } },
      'password',
    ],
    [
      'a NUL byte',
      { user: { username: 'a7', email: 'a7@x.io', password: 'pass\u0000word1' } },
      'password',
    ],
    [
      'a username with spaces',
      { user: { username: 'a b', email: 'a8@x.io', password: 'password1' } },
      'username',
    ],
    [
      'an overlong username',
      { user: { username: 'x'.repeat(41), email: 'a9@x.io', password: 'password1' } },
      'username',
    ],
    ['no user envelope', { username: 'a10', email: 'a10@x.io', password: 'password1' }, 'user'],
    ['a user that is not an object', { user: 'jake' }, 'user'],
    ['a user that is an array', { user: [] }, 'user'],
  ])('registration with %s answers 422 naming the field', async (_case, body, field) => {
    const before = await userCount();
    const response = await t.http().post('/api/users').send(body).expect(422);
    expectRealWorldError(response.body, field);
    expect(await userCount()).toBe(before);
  });

  it.each([
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"hello"'],
    ['a JSON number', '42'],
  ])('a body that is %s answers 4xx in the RealWorld shape', async (_case, raw) => {
    const response = await t
      .http()
      .post('/api/users')
      .set('Content-Type', 'application/json')
      .send(raw);
    expect([400, 422]).toContain(response.status);
    expectRealWorldError(response.body, Object.keys(response.body.errors as object)[0]);
  });

  it('malformed JSON answers 400 with a RealWorld error', async () => {
    const response = await t
      .http()
      .post('/api/users')
      .set('Content-Type', 'application/json')
      .send('{"user": {"username": ')
      .expect(400);
    expectRealWorldError(response.body);
    expect(response.headers['content-type']).toMatch(/application\/json/);
  });

  it('a body over 1 MB answers 413 with a RealWorld error and stores nothing', async () => {
    const before = await userCount();
    const response = await t
      .http()
      .post('/api/users')
      .send({ user: { username: 'big', email: 'big@x.io', password: 'x'.repeat(1_100_000) } })
      .expect(413);
    expectRealWorldError(response.body);
    expect(response.body.errors.body[0]).toMatch(/too large/i);
    expect(await userCount()).toBe(before);
  });

  it('an unsupported content type answers 415', async () => {
    const response = await t
      .http()
      .post('/api/users')
      .set('Content-Type', 'application/xml')
      .send('<user/>')
      .expect(415);
    expectRealWorldError(response.body);
  });

  it('an unknown route answers 404 in the RealWorld shape', async () => {
    const response = await t.http().get('/api/nothing-here').expect(404);
    expectRealWorldError(response.body);
  });

  it('an update with bad fields answers 422 and leaves the user unchanged', async () => {
    const user = await registerUser(t);
    for (const body of [
      { user: { bio: 7 } },
      { user: { image: 'javascript:alert(1)' } },
      { user: { email: 'nope' } },
      { user: { username: '' } },
      { user: { bio: 'fine', role: 'admin' } },
      { user: { bio: 'x'.repeat(1001) } },
      {},
    ]) {
      const response = await t.http().put('/api/user').set(authHeader(user.token)).send(body);
      expect(response.status).toBe(422);
      expectRealWorldError(response.body, Object.keys(response.body.errors as object)[0]);
    }
    const me = await t.http().get('/api/user').set(authHeader(user.token)).expect(200);
    expect(me.body.user).toMatchObject({ bio: null, image: null, username: user.username });
  });

  it('hostile profile names answer 404 (422 with NUL), never 500', async () => {
    for (const name of [
      '%00',
      'a%00b',
      '%F0%9F%92%A9',
      'x'.repeat(5000),
      '..',
      '%7Bslot%7D',
      "o'brien",
    ]) {
      const response = await t.http().get(`/api/profiles/${name}`);
      // 414 for a path parameter longer than the router accepts.
      const nul = name.includes('%00');
      expect(response.status).toBe(name.length > 100 ? 414 : nul ? 422 : 404);
      expectRealWorldError(response.body, nul ? 'username' : 'body');
    }
  });

  it('a tampered or foreign token answers 401, never 500', async () => {
    const user = await registerUser(t);
    const [header, payload] = user.token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 1, sid: 'not-a-uuid' })).toString('base64url');
    for (const token of [
      `${header}.${forged}.${user.token.split('.')[2]}`,
      `${header}.${payload}`,
      'eyJhbGciOiJub25lIn0.eyJzdWIiOjF9.',
      'x'.repeat(10_000),
    ]) {
      const response = await t.http().get('/api/user').set(authHeader(token)).expect(401);
      expectRealWorldError(response.body);
    }
  });
});
