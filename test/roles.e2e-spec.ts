import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** Role changes bite on the next request on every instance; no one becomes admin by email. */
describe('roles', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: RegisteredUser;
  const env = { ADMIN_EMAILS: 'first-admin@example.com,second-admin@example.com' };

  beforeAll(async () => {
    a = await bootApp(env);
    b = await bootApp(env);
    await resetState(a);
    admin = await registerUser(a, { email: 'first-admin@example.com' });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const adminStatus = async (t: TestApp, token: string): Promise<number> =>
    (await t.http().get('/api/admin/reconciliation').set(authHeader(token))).status;
  const setRole = (t: TestApp, token: string, username: string, role: unknown) =>
    t.http().put(`/api/admin/users/${username}/role`).set(authHeader(token)).send({ role });

  it('an admin grants and takes away the role; each bites on the next request on both instances', async () => {
    const user = await registerUser(a);
    expect([await adminStatus(a, user.token), await adminStatus(b, user.token)]).toEqual([
      403, 403,
    ]);

    const granted = await setRole(a, admin.token, user.username, 'admin').expect(200);
    expect(granted.body).toEqual({ user: { username: user.username, role: 'admin' } });
    expect([await adminStatus(a, user.token), await adminStatus(b, user.token)]).toEqual([
      200, 200,
    ]);

    await setRole(b, admin.token, user.username, 'user').expect(200);
    expect([await adminStatus(a, user.token), await adminStatus(b, user.token)]).toEqual([
      403, 403,
    ]);
  });

  it('a demotion written straight to Postgres (as admin:grant does) bites on the next request', async () => {
    const user = await registerUser(a);
    await setRole(a, admin.token, user.username, 'admin').expect(200);
    expect(await adminStatus(b, user.token)).toBe(200);
    await a.db.query(`UPDATE users SET role = 'user' WHERE email = $1`, [user.email]);
    expect([await adminStatus(a, user.token), await adminStatus(b, user.token)]).toEqual([
      403, 403,
    ]);
  });

  it('only admins change roles; bad input is a 4xx in the RealWorld shape', async () => {
    const user = await registerUser(a);
    const other = await registerUser(a);
    const forbidden = await setRole(a, user.token, other.username, 'admin').expect(403);
    expectRealWorldError(forbidden.body);
    await setRole(a, user.token, user.username, 'admin').expect(403);
    await a
      .http()
      .put(`/api/admin/users/${user.username}/role`)
      .send({ role: 'admin' })
      .expect(401);
    expectRealWorldError((await setRole(a, admin.token, 'nobody-here', 'admin').expect(404)).body);
    for (const role of ['root', null, ['admin'], 1]) {
      expectRealWorldError(
        (await setRole(a, admin.token, user.username, role).expect(422)).body,
        'role',
      );
    }
    expect(await adminStatus(a, user.token)).toBe(403);
  });

  it("changing one's email to an ADMIN_EMAILS address and a restart grant nothing", async () => {
    const user = await registerUser(a);
    await a
      .http()
      .put('/api/user')
      .set(authHeader(user.token))
      .send({ user: { email: 'second-admin@example.com' } })
      .expect(200);
    const restarted = await bootApp(env);
    try {
      expect(await adminStatus(restarted, user.token)).toBe(403);
    } finally {
      await restarted.close();
    }
    const rows: { role: string }[] = await a.db.query(`SELECT role FROM users WHERE email = $1`, [
      'second-admin@example.com',
    ]);
    expect(rows[0].role).toBe('user');
  });

  it('registering with an ADMIN_EMAILS address once an admin exists gives a plain user', async () => {
    await a.db.query(`DELETE FROM users WHERE email = 'second-admin@example.com'`);
    const late = await registerUser(a, { email: 'second-admin@example.com' });
    expect(await adminStatus(a, late.token)).toBe(403);
  });
});
