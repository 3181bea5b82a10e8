import { createServer } from 'node:net';
import { registerUser } from './support/factories.js';
import { expectRealWorldError } from './support/realworld-error.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

const login = (t: TestApp, email: string, password: string) =>
  t.http().post('/api/users/login').send({ user: { email, password } });

/** A TCP port nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('login and registration are throttled per account and per address', () => {
  const apps: TestApp[] = [];
  const boot = async (env: Record<string, string>): Promise<TestApp> => {
    const t = await bootApp({ THROTTLE_WINDOW_SECONDS: '60', ...env });
    apps.push(t);
    return t;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });

  it('a brute-force loop on one account gets 429 with Retry-After, even for the right password', async () => {
    const t = await boot({ THROTTLE_ACCOUNT_LIMIT: '5', THROTTLE_ADDRESS_LIMIT: '1000' });
    await resetState(t);
    const victim = await registerUser(t);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      statuses.push((await login(t, victim.email, `guess-${i}-password`)).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((status) => status === 429)).toBe(true);

    // The email is normalized: case and spaces do not open a new budget.
    const blocked = await login(t, ` ${victim.email.toUpperCase()} `, victim.password);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(blocked.headers['content-type']).toMatch(/^application\/json/);
    expectRealWorldError(blocked.body);

    // Another account from the same address is not affected.
    const other = await registerUser(t);
    await login(t, other.email, other.password).expect(200);
  });

  it('one address trying many accounts is limited too', async () => {
    const t = await boot({ THROTTLE_ACCOUNT_LIMIT: '1000', THROTTLE_ADDRESS_LIMIT: '4' });
    await resetState(t);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await login(t, `sprayed${i}@example.com`, 'password-guess')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    // Registration has its own budget per address, limited the same way.
    const registrations: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const user = { username: `spray${i}`, email: `spray${i}@example.com`, password: 'password1' };
      registrations.push((await t.http().post('/api/users').send({ user })).status);
    }
    expect(registrations).toEqual([201, 201, 201, 201, 429, 429]);
  });

  it('the limit is shared by two instances (counted in Redis)', async () => {
    const env = { THROTTLE_ACCOUNT_LIMIT: '4', THROTTLE_ADDRESS_LIMIT: '1000' };
    const a = await boot(env);
    const b = await boot(env);
    await resetState(a);
    const victim = await registerUser(a);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await login(i % 2 === 0 ? a : b, victim.email, `guess-${i}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('with Redis down an in-process limit still applies', async () => {
    const withRedis = await boot({});
    await resetState(withRedis);
    const victim = await registerUser(withRedis);
    const t = await boot({
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      REDIS_CONNECT_TIMEOUT_MS: '200',
      THROTTLE_ACCOUNT_LIMIT: '3',
      THROTTLE_ADDRESS_LIMIT: '1000',
    });
    expect(t.redis.isReady).toBe(false);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push((await login(t, victim.email, `guess-${i}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
