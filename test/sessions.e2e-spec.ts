import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** A password change and POST /api/user/sessions/revoke end every other session, on every instance. */
describe('ending other sessions', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await bootApp();
    b = await bootApp();
    await resetState(a);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const login = async (t: TestApp, user: RegisteredUser, password = user.password) =>
    (
      await t
        .http()
        .post('/api/users/login')
        .send({ user: { email: user.email, password } })
        .expect(200)
    ).body.user.token as string;

  /** Status of GET /api/user with the token on both instances (their session caches warm). */
  const statusOn = async (token: string): Promise<[number, number]> => [
    (await a.http().get('/api/user').set(authHeader(token))).status,
    (await b.http().get('/api/user').set(authHeader(token))).status,
  ];

  it('a password change keeps the session that made it and ends the others, on both instances', async () => {
    const user = await registerUser(a);
    const bystander = await registerUser(a);
    const laptop = await login(a, user);
    const attacker = await login(b, user);
    for (const token of [user.token, laptop, attacker, bystander.token]) {
      expect(await statusOn(token)).toEqual([200, 200]);
    }

    const changed = await a
      .http()
      .put('/api/user')
      .set(authHeader(laptop))
      .send({ user: { password: 'a-brand-new-password' } })
      .expect(200);
    expect(changed.body.user.token).toBe(laptop);

    expect(await statusOn(laptop)).toEqual([200, 200]);
    expect(await statusOn(attacker)).toEqual([401, 401]);
    expect(await statusOn(user.token)).toEqual([401, 401]);
    expect(await statusOn(bystander.token)).toEqual([200, 200]);
    const refused = await b.http().get('/api/user').set(authHeader(attacker));
    expectRealWorldError(refused.body);

    await a
      .http()
      .post('/api/users/login')
      .send({ user: { email: user.email, password: user.password } })
      .expect(401);
    await login(b, user, 'a-brand-new-password');
  });

  it('a profile change without a new password ends no session', async () => {
    const user = await registerUser(a);
    const other = await login(b, user);
    await a
      .http()
      .put('/api/user')
      .set(authHeader(user.token))
      .send({ user: { bio: 'still here' } })
      .expect(200);
    expect(await statusOn(other)).toEqual([200, 200]);
  });

  it('POST /api/user/sessions/revoke ends all other sessions and says how many', async () => {
    const user = await registerUser(a);
    const phone = await login(a, user);
    const tablet = await login(b, user);
    for (const token of [user.token, phone, tablet])
      expect(await statusOn(token)).toEqual([200, 200]);

    const response = await b
      .http()
      .post('/api/user/sessions/revoke')
      .set(authHeader(phone))
      .expect(200);
    expect(response.body).toEqual({ revoked: 2 });

    expect(await statusOn(phone)).toEqual([200, 200]);
    expect(await statusOn(tablet)).toEqual([401, 401]);
    expect(await statusOn(user.token)).toEqual([401, 401]);

    // Nothing left to end; and without a token the route is a 401.
    await a
      .http()
      .post('/api/user/sessions/revoke')
      .set(authHeader(phone))
      .expect(200, { revoked: 0 });
    const anonymous = await a.http().post('/api/user/sessions/revoke').expect(401);
    expectRealWorldError(anonymous.body);
  });
});
