import { adminEmails, docsEnabled, trustProxy } from './env-readers.js';
import { DEFAULT_JWT_SECRET, validateEnv } from './env.schema.js';

describe('validateEnv', () => {
  it('applies development defaults to an empty environment', () => {
    const env = validateEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.CACHE_TTL_SECONDS).toBe(7200);
    expect(env.CACHE_ENABLED).toBe(true);
  });

  it('converts strings from the environment to numbers and booleans', () => {
    const env = validateEnv({
      PORT: '8080',
      CACHE_ENABLED: 'false',
      CACHE_LEASE_MS: '500',
      FOO: 'x',
    });
    expect(env.PORT).toBe(8080);
    expect(env.CACHE_ENABLED).toBe(false);
    expect(env.CACHE_LEASE_MS).toBe(500);
  });

  it('treats an empty variable as unset', () => {
    expect(validateEnv({ PORT: '' }).PORT).toBe(3000);
  });

  it('names every invalid variable', () => {
    expect(() => validateEnv({ PORT: 'eighty', NODE_ENV: 'staging' })).toThrow(
      /PORT[\s\S]*NODE_ENV|NODE_ENV[\s\S]*PORT/,
    );
  });

  it('refuses to start in production with the default or a short JWT secret', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: DEFAULT_JWT_SECRET })).toThrow(
      /development default/,
    );
    expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'short-but-16-chars' })).toThrow(
      /at least 32/,
    );
    const secret = 'a'.repeat(48);
    const metrics = { METRICS_TOKEN: 'm'.repeat(24) };
    expect(validateEnv({ NODE_ENV: 'production', JWT_SECRET: secret, ...metrics }).JWT_SECRET).toBe(
      secret,
    );
  });

  it('requires a metrics token in production, and turns docs off there by default', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(48) };
    expect(() => validateEnv(production)).toThrow(/METRICS_TOKEN/);
    expect(() => validateEnv({ ...production, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    const env = validateEnv({ ...production, METRICS_TOKEN: 'm'.repeat(24) });
    expect(docsEnabled(env)).toBe(false);
    expect(
      docsEnabled(
        validateEnv({ ...production, METRICS_TOKEN: 'm'.repeat(24), DOCS_ENABLED: 'true' }),
      ),
    ).toBe(true);
    expect(docsEnabled(validateEnv({}))).toBe(true);
    expect(docsEnabled(validateEnv({ DOCS_ENABLED: 'false' }))).toBe(false);
  });

  it('reads TRUST_PROXY as Fastify expects it', () => {
    expect(trustProxy(validateEnv({}))).toBe(false);
    expect(trustProxy(validateEnv({ TRUST_PROXY: 'true' }))).toBe(true);
    expect(trustProxy(validateEnv({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }))).toEqual([
      '10.0.0.1',
      '10.1.0.0/16',
    ]);
  });

  it('validates the stats settings: cron expression, online window vs mark interval, admins', () => {
    expect(validateEnv({}).RECONCILE_CRON).toBe('*/10 * * * *');
    expect(() => validateEnv({ RECONCILE_CRON: 'every ten minutes' })).toThrow(/RECONCILE_CRON/);
    expect(validateEnv({ RECONCILE_CRON: 'nope', RECONCILE_ENABLED: 'false' })).toBeDefined();
    expect(() =>
      validateEnv({ ONLINE_WINDOW_SECONDS: '60', ONLINE_MARK_INTERVAL_SECONDS: '60' }),
    ).toThrow(/ONLINE_MARK_INTERVAL_SECONDS/);
    expect(adminEmails(validateEnv({ ADMIN_EMAILS: ' A@x.io, ,b@y.io ' }))).toEqual([
      'a@x.io',
      'b@y.io',
    ]);
  });

  it('bounds CORS_MAX_AGE_SECONDS', () => {
    expect(validateEnv({}).CORS_MAX_AGE_SECONDS).toBe(86_400);
    expect(validateEnv({ CORS_MAX_AGE_SECONDS: '600' }).CORS_MAX_AGE_SECONDS).toBe(600);
    expect(() => validateEnv({ CORS_MAX_AGE_SECONDS: '-1' })).toThrow(/CORS_MAX_AGE_SECONDS/);
    expect(() => validateEnv({ CORS_MAX_AGE_SECONDS: 'a day' })).toThrow(/CORS_MAX_AGE_SECONDS/);
  });
});
