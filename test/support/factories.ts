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
