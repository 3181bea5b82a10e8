import type { TestApp } from './test-app.js';

let sequence = 0;

export interface RegisteredUser {
  username: string;
  email: string;
  password: string;
  token: string;
}

/** Registers a user through the public API and returns its credentials and token. */
export async function registerUser(
  testApp: TestApp,
  overrides: Partial<Pick<RegisteredUser, 'username' | 'email' | 'password'>> = {},
): Promise<RegisteredUser> {
  sequence += 1;
  const tag = `${process.pid}${sequence}`;
  const user = {
    username: overrides.username ?? `user${tag}`,
    email: overrides.email ?? `user${tag}@example.com`,
    password: overrides.password ?? 'correct-horse-battery',
  };
  const response = await testApp.http().post('/api/users').send({ user }).expect(201);
  return { ...user, email: user.email.toLowerCase(), token: response.body.user.token as string };
}

export const authHeader = (token: string) => ({ Authorization: `Token ${token}` });

/** Inserts users straight into Postgres (no password that works): for bulk fixtures only. */
export async function insertUsers(
  testApp: TestApp,
  count: number,
  prefix: string,
): Promise<{ id: number; username: string }[]> {
  return testApp.db.query(
    `INSERT INTO users (email, username, password_hash)
     SELECT $1 || n || '@example.com', $1 || n, 'not-a-real-hash'
     FROM generate_series(1, $2::int) AS n
     RETURNING id, username`,
    [prefix, count],
  );
}

export async function userId(testApp: TestApp, username: string): Promise<number> {
  const rows: { id: number }[] = await testApp.db.query(
    `SELECT id FROM users WHERE username = $1`,
    [username],
  );
  return rows[0].id;
}

/** Publishes an article through the public API (tags optional) and returns its slug. */
export async function createArticle(
  testApp: TestApp,
  token: string,
  article: { title: string; tagList?: string[] },
): Promise<string> {
  const response = await testApp
    .http()
    .post('/api/articles')
    .set(authHeader(token))
    .send({ article: { description: 'd', body: 'b', ...article } })
    .expect(201);
  return response.body.article.slug as string;
}
