import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { performance } from 'node:perf_hooks';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** A role change reaches the other instances by Postgres NOTIFY: measured at a few ms here. */
const NOTIFY_BOUND_MS = 1000;

/**
 * Role changes bite on the next request of the instance that made them and, through Postgres
 * NOTIFY, within milliseconds on every other instance; no one becomes admin by email.
 */
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
  /**
   * Asks until the instance answers `status` (a role change reaches another instance by NOTIFY, so
   * not necessarily on the very next request); returns the milliseconds it took.
   */
  const statusWithin = async (t: TestApp, token: string, status: number): Promise<number> => {
    const started = performance.now();
    while ((await adminStatus(t, token)) !== status) {
      if (performance.now() - started > NOTIFY_BOUND_MS)
        throw new Error(`still not ${status} after ${NOTIFY_BOUND_MS} ms`);
    }
    return performance.now() - started;
  };
  const listenerCount = async (): Promise<number> => {
    const rows: { n: number }[] = await a.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = 'conduit-listener' AND datname = current_database()`,
    );
    return rows[0].n;
  };

  it('an admin grants and takes away the role: it bites on the next request of that instance, within ms on the other', async () => {
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
    expect(await adminStatus(b, user.token)).toBe(403);
    await statusWithin(a, user.token, 403);
  });

  it('a demotion written straight to Postgres (as admin:grant does) bites within milliseconds on every instance', async () => {
    const user = await registerUser(a);
    await setRole(a, admin.token, user.username, 'admin').expect(200);
    expect(await adminStatus(b, user.token)).toBe(200);
    expect(await adminStatus(b, user.token)).toBe(200); // remembered by b
    await a.db.query(`UPDATE users SET role = 'user' WHERE email = $1`, [user.email]);
    const delays = [await statusWithin(b, user.token, 403), await statusWithin(a, user.token, 403)];
    process.stderr.write(
      `roles: demotion seen after ${delays.map((d) => d.toFixed(1)).join(', ')} ms\n`,
    );
  });

  it('with its listener connection killed an instance remembers no role, then listens again', async () => {
    const user = await registerUser(a);
    await setRole(a, admin.token, user.username, 'admin').expect(200);
    await statusWithin(b, user.token, 200);
    expect(await listenerCount()).toBeGreaterThanOrEqual(2);
    await a.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'conduit-listener' AND datname = current_database()`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // the instances see the close
    // Announced to nobody: only reading Postgres on every request can see this demotion.
    await a.db.query(`UPDATE users SET role = 'user' WHERE email = $1`, [user.email]);
    expect([await adminStatus(a, user.token), await adminStatus(b, user.token)]).toEqual([
      403, 403,
    ]);
    // Reconnected (after ~1 s): changes are announced again.
    const deadline = Date.now() + 5000;
    while ((await listenerCount()) < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await listenerCount()).toBeGreaterThanOrEqual(2);
    await a.db.query(`UPDATE users SET role = 'admin' WHERE email = $1`, [user.email]);
    await statusWithin(b, user.token, 200);
    await a.db.query(`UPDATE users SET role = 'user' WHERE email = $1`, [user.email]);
    await statusWithin(b, user.token, 403);
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

  // Last: it empties the tables the tests above share.
  it('a TRUNCATE of users (ids start again) makes every instance forget every role', async () => {
    const t = await bootApp(env);
    try {
      await resetState(t);
      const first = await registerUser(t, { email: 'first-admin@example.com' });
      expect(await adminStatus(b, first.token)).toBe(200); // user 1, admin, remembered by b
      await resetState(t);
      // Id 1 again, now a plain user (not a listed email): b must not answer from memory.
      const plain = await registerUser(t, { email: 'plain@example.com' });
      await statusWithin(b, plain.token, 403);
    } finally {
      await t.close();
    }
  });
});
