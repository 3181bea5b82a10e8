import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { validateCronExpression } from 'cron';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** The development-only JWT secret: production refuses to start with it. */
export const DEFAULT_JWT_SECRET = 'dev-only-insecure-jwt-secret-change-me';

/** Reads the raw value (implicit conversion would already have turned "false" into true). */
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }): unknown => {
  const raw = obj[key];
  return typeof raw === 'string' ? ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase()) : raw;
};

/**
 * Every environment variable the app reads, with the defaults that serve local development.
 * `.env.example` documents each one; `validateEnv` fails fast naming the variable at fault.
 */
export class Env {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsInt() @Min(0) @Max(65535) PORT: number = 3000;
  @IsString() HOST: string = '0.0.0.0';

  @IsString() DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/conduit';
  @IsInt() @Min(1) @Max(200) DATABASE_POOL_SIZE: number = 10;

  @IsString() REDIS_URL: string = 'redis://127.0.0.1:6379/0';
  /** Prepended to every key, so several apps (or the tests) can share one Redis. */
  @IsString() REDIS_KEY_PREFIX: string = 'conduit:';
  /** A Redis command slower than this fails and the caller falls through to Postgres. */
  @IsInt() @Min(1) REDIS_COMMAND_TIMEOUT_MS: number = 200;
  @IsInt() @Min(1) REDIS_CONNECT_TIMEOUT_MS: number = 2000;

  @IsString() @MinLength(16) JWT_SECRET: string = DEFAULT_JWT_SECRET;
  @IsInt() @Min(60) JWT_TTL_SECONDS: number = 30 * 24 * 3600;

  /** Switches the cache-aside layer off (every read goes to Postgres): for benchmarks. */
  @Transform(toBoolean) @IsBoolean() CACHE_ENABLED: boolean = true;
  @IsInt() @Min(1) CACHE_TTL_SECONDS: number = 2 * 3600;
  @IsInt() @Min(0) CACHE_TTL_JITTER_SECONDS: number = 600;
  @IsInt() @Min(1) CACHE_NEGATIVE_TTL_SECONDS: number = 300;
  @IsInt() @Min(0) CACHE_NEGATIVE_TTL_JITTER_SECONDS: number = 60;
  /** How long one instance holds the right to fill a missing key (cross-instance stampede guard). */
  @IsInt() @Min(10) CACHE_LEASE_MS: number = 2000;
  /** How long an instance without the lease waits for the holder's fill before querying itself. */
  @IsInt() @Min(0) CACHE_LEASE_WAIT_MS: number = 100;

  /** How often pending article views are flushed from Redis to Postgres; 0 disables it. */
  @IsInt() @Min(0) VIEWS_FLUSH_INTERVAL_MS: number = 10_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';
  @IsString() CORS_ORIGIN: string = '*';
  @IsInt() @Min(1024) BODY_LIMIT_BYTES: number = 1024 * 1024;

  /**
   * Comma-separated emails that get the admin role: applied at start-up and when such a user
   * registers. Removing an email does not demote anyone (use the database for that).
   */
  @IsString() ADMIN_EMAILS: string = '';

  /** Distinct users seen within this window count as online. */
  @IsInt() @Min(1) ONLINE_WINDOW_SECONDS: number = 300;
  /** A user's last-seen time is written at most once per this interval (per instance). */
  @IsInt() @Min(0) ONLINE_MARK_INTERVAL_SECONDS: number = 60;

  /** Runs the reconciliation job on this instance's schedule (one runner at a time cluster-wide). */
  @Transform(toBoolean) @IsBoolean() RECONCILE_ENABLED: boolean = true;
  /** Cron expression (5 or 6 fields) of the reconciliation job. */
  @IsString() RECONCILE_CRON: string = '*/10 * * * *';
  /** Users per reconciliation batch: bounds memory and how long writers wait on one batch. */
  @IsInt() @Min(1) @Max(10_000) RECONCILE_BATCH_SIZE: number = 1000;
  /** TTL of the reconciliation lock; it is renewed every third of it while the job runs. */
  @IsInt() @Min(1000) RECONCILE_LOCK_TTL_MS: number = 30_000;
}

/** The normalized (trimmed, lower-cased, like stored emails) list of ADMIN_EMAILS. */
export function adminEmails(env: Pick<Env, 'ADMIN_EMAILS'>): string[] {
  return env.ADMIN_EMAILS.split(',')
    .map((email) => email.trim().toLowerCase())
    .filter((email) => email !== '');
}

/** Validates `process.env`-like input; throws one message naming every bad variable. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const env = plainToInstance(Env, stripEmpty(raw), {
    enableImplicitConversion: true,
    excludeExtraneousValues: false,
  });
  const errors = validateSync(env, { skipMissingProperties: false });
  const problems = errors.map(
    (e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`,
  );
  if (env.NODE_ENV === 'production' && env.JWT_SECRET === DEFAULT_JWT_SECRET) {
    problems.push('JWT_SECRET: the development default must not be used in production');
  }
  if (env.NODE_ENV === 'production' && env.JWT_SECRET.length < 32) {
    problems.push('JWT_SECRET: use at least 32 characters in production');
  }
  if (env.RECONCILE_ENABLED && typeof env.RECONCILE_CRON === 'string') {
    const cron = validateCronExpression(env.RECONCILE_CRON);
    if (!cron.valid) {
      problems.push(`RECONCILE_CRON: not a cron expression (${String(cron.error)})`);
    }
  }
  if (env.ONLINE_MARK_INTERVAL_SECONDS >= env.ONLINE_WINDOW_SECONDS) {
    problems.push(
      'ONLINE_MARK_INTERVAL_SECONDS: must be shorter than ONLINE_WINDOW_SECONDS, or active users would drop out of the window',
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid environment configuration:\n  ${problems.join('\n  ')}`);
  }
  return env;
}

/** Empty strings (as in `FOO=` in a .env file) mean "use the default". */
function stripEmpty(raw: Record<string, unknown>): Record<string, unknown> {
  const known = new Set(Object.keys(new Env()));
  return Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => known.has(key) && value !== ''),
  );
}
