import { authHeader, registerUser } from './support/factories.js';
import { bootApp, deleteRedisKeys, resetState, type TestApp } from './support/test-app.js';

describe('users and authentication (RealWorld)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
    await resetState(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers a user with 201 and the RealWorld user envelope', async () => {
    const response = await t
      .http()
      .post('/api/users')
      .send({ user: { username: 'jake', email: 'Jake@Jake.jake', password: 'jakejake' } })
      .expect(201);
    expect(response.body).toEqual({
      user: {
        email: 'jake@jake.jake',
        username: 'jake',
        bio: null,
        image: null,
        token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      },
    });
    const [row] = await t.db.query(`SELECT password_hash FROM users WHERE username = 'jake'`);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('rejects a duplicate email (case-insensitive) and a duplicate username with 422', async () => {
    const dupEmail = await t
      .http()
      .post('/api/users')
      .send({ user: { username: 'other', email: 'JAKE@jake.jake', password: 'jakejake' } })
      .expect(422);
    expect(dupEmail.body).toEqual({ errors: { email: ['has already been taken'] } });
    const dupName = await t
      .http()
      .post('/api/users')
      .send({ user: { username: 'JAKE', email: 'new@jake.jake', password: 'jakejake' } })
      .expect(422);
    expect(dupName.body).toEqual({ errors: { username: ['has already been taken'] } });
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM users`);
    expect(count).toBe(1);
  });

  it('logs in with the right password and refuses a wrong one or an unknown email with 401', async () => {
    const ok = await t
      .http()
      .post('/api/users/login')
      .send({ user: { email: 'JAKE@jake.jake', password: 'jakejake' } })
      .expect(200);
    expect(ok.body.user).toMatchObject({ email: 'jake@jake.jake', username: 'jake' });

    const wrong = await t
      .http()
      .post('/api/users/login')
      .send({ user: { email: 'jake@jake.jake', password: 'wrong-password' } })
      .expect(401);
    expect(wrong.body).toEqual({ errors: { credentials: ['email or password is invalid'] } });
    await t
      .http()
      .post('/api/users/login')
      .send({ user: { email: 'nobody@jake.jake', password: 'jakejake' } })
      .expect(401);
  });

  it('returns the current user for "Token" and "Bearer" headers, and 401 otherwise', async () => {
    const user = await registerUser(t);
    for (const scheme of ['Token', 'Bearer', 'token']) {
      const response = await t
        .http()
        .get('/api/user')
        .set('Authorization', `${scheme} ${user.token}`)
        .expect(200);
      expect(response.body.user).toEqual({
        email: user.email,
        username: user.username,
        token: user.token,
        bio: null,
        image: null,
      });
    }
    const missing = await t.http().get('/api/user').expect(401);
    expect(missing.body).toEqual({ errors: { body: ['missing authorization token'] } });
    for (const header of ['Token', `Basic ${user.token}`, 'Token a.b.c', `Token ${user.token}x`]) {
      const response = await t.http().get('/api/user').set('Authorization', header).expect(401);
      expect(response.body.errors.body).toHaveLength(1);
    }
  });

  it('updates the current user, keeping the token and applying a new password', async () => {
    const user = await registerUser(t);
    const response = await t
      .http()
      .put('/api/user')
      .set(authHeader(user.token))
      .send({
        user: {
          bio: 'I like to skateboard',
          image: 'https://example.com/me.png',
          email: 'New.Address@example.com',
          password: 'a-new-password',
        },
      })
      .expect(200);
    expect(response.body.user).toEqual({
      email: 'new.address@example.com',
      username: user.username,
      token: user.token,
      bio: 'I like to skateboard',
      image: 'https://example.com/me.png',
    });
    await t
      .http()
      .post('/api/users/login')
      .send({ user: { email: 'new.address@example.com', password: user.password } })
      .expect(401);
    await t
      .http()
      .post('/api/users/login')
      .send({ user: { email: 'new.address@example.com', password: 'a-new-password' } })
      .expect(200);

    const cleared = await t
      .http()
      .put('/api/user')
      .set(authHeader(user.token))
      .send({ user: { bio: null, image: '' } })
      .expect(200);
    expect(cleared.body.user).toMatchObject({ bio: null, image: null });
  });

  it("refuses to take another user's email or username on update (422, nothing changes)", async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    await t
      .http()
      .put('/api/user')
      .set(authHeader(b.token))
      .send({ user: { email: a.email.toUpperCase() } })
      .expect(422);
    const taken = await t
      .http()
      .put('/api/user')
      .set(authHeader(b.token))
      .send({ user: { username: a.username } })
      .expect(422);
    expect(taken.body).toEqual({ errors: { username: ['has already been taken'] } });
    const me = await t.http().get('/api/user').set(authHeader(b.token)).expect(200);
    expect(me.body.user).toMatchObject({ email: b.email, username: b.username });
  });

  it("logout revokes the token (401 from then on) but not the user's other sessions", async () => {
    const user = await registerUser(t);
    const second = await t
      .http()
      .post('/api/users/login')
      .send({ user: { email: user.email, password: user.password } })
      .expect(200);
    // Warm the session cache first, so the test proves logout also evicts the cached session.
    await t.http().get('/api/user').set(authHeader(user.token)).expect(200);

    await t.http().post('/api/users/logout').set(authHeader(user.token)).expect(204);

    const revoked = await t.http().get('/api/user').set(authHeader(user.token)).expect(401);
    expect(revoked.body).toEqual({ errors: { body: ['session has ended; log in again'] } });
    await t.http().post('/api/users/logout').set(authHeader(user.token)).expect(401);
    await t.http().get('/api/user').set(authHeader(second.body.user.token)).expect(200);
  });

  it('refuses a token whose session was revoked even after the cache entry expired', async () => {
    const user = await registerUser(t);
    await t.http().post('/api/users/logout').set(authHeader(user.token)).expect(204);
    await deleteRedisKeys(t.topology, 'test:*');
    await t.http().get('/api/user').set(authHeader(user.token)).expect(401);
  });
});
