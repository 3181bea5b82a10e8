import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { authHeader, insertUsers, registerUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const run = promisify(execFile);

describe('admins: role column, ADMIN_EMAILS bootstrap, admin:grant', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ ADMIN_EMAILS: ' Boss@Example.com , other-admin@example.com' });
    await resetState(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const roleOf = async (email: string): Promise<string> => {
    const rows: { role: string }[] = await t.db.query(`SELECT role FROM users WHERE email = $1`, [
      email,
    ]);
    return rows[0].role;
  };

  it('registers users as "user", and as "admin" when their email is in ADMIN_EMAILS and there is no admin yet', async () => {
    const plain = await registerUser(t);
    const boss = await registerUser(t, { email: 'BOSS@example.com' });
    expect(await roleOf(plain.email)).toBe('user');
    expect(await roleOf(boss.email)).toBe('admin');
  });

  it('rejects any other role value in the database (CHECK constraint)', async () => {
    const [user] = await insertUsers(t, 1, 'checkrole');
    await expect(
      t.db.query(`UPDATE users SET role = 'root' WHERE id = $1`, [user.id]),
    ).rejects.toThrow(/users_role_check/);
  });

  it('promotes existing users listed in ADMIN_EMAILS at start-up only while there is no admin', async () => {
    await t.db.query(
      `INSERT INTO users (email, username, password_hash) VALUES ('other-admin@example.com', 'otheradmin', 'x')`,
    );
    expect(await roleOf('other-admin@example.com')).toBe('user');
    // boss@example.com is an admin: ADMIN_EMAILS grants nothing more.
    await (await bootApp({ ADMIN_EMAILS: 'other-admin@example.com' })).close();
    expect(await roleOf('other-admin@example.com')).toBe('user');

    await t.db.query(`UPDATE users SET role = 'user'`);
    await (await bootApp({ ADMIN_EMAILS: 'other-admin@example.com' })).close();
    expect(await roleOf('other-admin@example.com')).toBe('admin');
    expect(await roleOf('boss@example.com')).toBe('user');
  });

  it('npm run admin:grant -- EMAIL makes an existing user an admin (compiled CLI)', async () => {
    const user = await registerUser(t);
    await t.http().get('/api/admin/reconciliation').set(authHeader(user.token)).expect(403);
    const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL };
    const granted = await run(process.execPath, ['dist/users/admin-grant.cli.js', user.email], {
      env,
    });
    expect(granted.stdout).toContain(`${user.email} is now an admin`);
    expect(await roleOf(user.email)).toBe('admin');
    // The CLI writes Postgres only; the guard reads the role there, so the grant bites at once.
    await t.http().get('/api/admin/reconciliation').set(authHeader(user.token)).expect(200);
    const again = await run(process.execPath, ['dist/users/admin-grant.cli.js', user.email], {
      env,
    });
    expect(again.stdout).toContain('already an admin');
    await expect(
      run(process.execPath, ['dist/users/admin-grant.cli.js', 'nobody@example.com'], { env }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no user with email') });
  }, 30_000);
});
