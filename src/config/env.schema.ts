import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { CronExpressionParser } from 'cron-parser';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { redisTopologyProblems } from './redis-topology-env.js';

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
  /**
   * How long a request waits for a pooled connection (or a new one) before it is answered 503:
   * short, so an exhausted pool sheds load instead of queueing requests for seconds.
   */
  @IsInt() @Min(100) @Max(60_000) DATABASE_ACQUIRE_TIMEOUT_MS: number = 2000;
  /** Postgres `statement_timeout` of the app's connections: a slower statement is cancelled (503). */
  @IsInt() @Min(100) @Max(600_000) DATABASE_STATEMENT_TIMEOUT_MS: number = 5000;
  /**
   * Postgres `lock_timeout`: a statement waiting longer for a lock (a locked table) fails (503).
   * Below the acquire timeout, so requests stuck on a lock free their pool slots before others
   * waiting for one give up.
   */
  @IsInt() @Min(100) @Max(600_000) DATABASE_LOCK_TIMEOUT_MS: number = 1000;

  /** Standalone Redis. Ignored when REDIS_SENTINELS or REDIS_CLUSTER_NODES is set. */
  @IsString() REDIS_URL: string = 'redis://127.0.0.1:6379/0';
  /** Sentinel set: comma-separated `host:port` of the sentinels (with REDIS_SENTINEL_MASTER). */
  @IsString() REDIS_SENTINELS: string = '';
  /** The master name the sentinels monitor (`sentinel monitor <name> ...`). */
  @IsString() REDIS_SENTINEL_MASTER: string = '';
  /** Password of the sentinels themselves (not of the data nodes), when they require one. */
  @IsString() REDIS_SENTINEL_PASSWORD: string = '';
  /** Redis Cluster: comma-separated `redis://host:port` seed nodes (a few masters suffice). */
  @IsString() REDIS_CLUSTER_NODES: string = '';
  /**
   * Cache reads (GET/MGET of cached entries, leaderboard pages) of requests without credentials go
   * to replicas (Sentinel or Cluster); everything else stays on the master. No effect standalone.
   */
  @Transform(toBoolean) @IsBoolean() REDIS_READ_FROM_REPLICAS: boolean = false;
  /**
   * After a Redis failover each instance re-applies the invalidations and tag bumps it made within
   * this many seconds (the new master may have missed them), and reads only from masters for as
   * long (replicas are being reconfigured). Keep it above the time a failover takes to be noticed
   * (Sentinel down-after-milliseconds or cluster-node-timeout, plus election).
   */
  @IsInt() @Min(0) @Max(3600) REDIS_FAILOVER_REPLAY_SECONDS: number = 120;
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
  /** Byte cap of the in-process tier in front of Redis (LRU); 0 turns the tier off. */
  @IsInt() @Min(0) LOCAL_CACHE_MAX_BYTES: number = 64 * 1024 * 1024;
  /** Longest an in-process entry lives: bounds staleness should an invalidation ever be lost. */
  @IsInt() @Min(100) LOCAL_CACHE_TTL_MS: number = 60_000;

  /**
   * Whether this process runs the queue workers (BullMQ). True: the API runs them in-process.
   * False: the API only enqueues, and `node dist/worker.js` (always true) runs them elsewhere.
   */
  @Transform(toBoolean) @IsBoolean() QUEUE_WORKERS: boolean = true;
  /** Attempts per job before it lands in the failed set (exponential backoff between them). */
  @IsInt() @Min(1) @Max(100) QUEUE_JOB_ATTEMPTS: number = 5;
  /** First retry delay; each next one doubles. */
  @IsInt() @Min(1) QUEUE_BACKOFF_MS: number = 1000;
  /** Completed jobs kept per queue (newest); failed jobs kept per queue, for inspection. */
  @IsInt() @Min(0) QUEUE_KEEP_COMPLETED: number = 100;
  @IsInt() @Min(0) QUEUE_KEEP_FAILED: number = 1000;
  /** Longest a request waits to enqueue a job before it gives up (and counts the failure). */
  @IsInt() @Min(1) QUEUE_ENQUEUE_TIMEOUT_MS: number = 500;

  /** How often pending article views are flushed from Redis to Postgres; 0 disables it. */
  @IsInt() @Min(0) VIEWS_FLUSH_INTERVAL_MS: number = 10_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';
  @IsString() CORS_ORIGIN: string = '*';
  /** How long browsers may cache a preflight answer (browsers cap it: Chrome 2 h, Firefox 24 h). */
  @IsInt() @Min(0) @Max(604_800) CORS_MAX_AGE_SECONDS: number = 86_400;
  @IsInt() @Min(1024) BODY_LIMIT_BYTES: number = 1024 * 1024;

  /**
   * Comma-separated emails that bootstrap the first admins: granted at start-up and on registration
   * only while the deployment has no admin at all (emails are unverified). Removing an email
   * demotes nobody (an admin or the database does that).
   */
  @IsString() ADMIN_EMAILS: string = '';

  /**
   * Bearer token `/metrics` requires (`Authorization: Bearer <token>`). Required in production;
   * elsewhere `/metrics` is public while it is empty.
   */
  @IsString() METRICS_TOKEN: string = '';
  /** Swagger UI at /docs and the OpenAPI document at /docs-json. Default: on, off in production. */
  @IsOptional() @Transform(toBoolean) @IsBoolean() DOCS_ENABLED?: boolean = undefined;

  /** Login and registration attempts: fixed window, and the limits within it (then 429). */
  @IsInt() @Min(1) THROTTLE_WINDOW_SECONDS: number = 60;
  /** Attempts per client address per route and window (all accounts together). */
  @IsInt() @Min(1) THROTTLE_ADDRESS_LIMIT: number = 30;
  /** Attempts per account (normalized email) per route and window (all addresses together). */
  @IsInt() @Min(1) THROTTLE_ACCOUNT_LIMIT: number = 10;
  /**
   * Fastify's trustProxy: `false` (client address = the TCP peer), `true` (believe
   * X-Forwarded-For), or a comma-separated list of proxy addresses/CIDRs whose X-Forwarded-For is
   * believed.
   */
  @IsString() TRUST_PROXY: string = 'false';

  /** Distinct users seen within this window count as online. */
  @IsInt() @Min(1) ONLINE_WINDOW_SECONDS: number = 300;
  /** A user's last-seen time is written at most once per this interval (per instance). */
  @IsInt() @Min(0) ONLINE_MARK_INTERVAL_SECONDS: number = 60;

  /**
   * Runs reconciliation on RECONCILE_CRON (a BullMQ job scheduler: one run per tick across every
   * instance). Applied by the processes that run workers (QUEUE_WORKERS); false removes the schedule.
   */
  @Transform(toBoolean) @IsBoolean() RECONCILE_ENABLED: boolean = true;
  /** Cron expression (5 or 6 fields) of the reconciliation job. */
  @IsString() RECONCILE_CRON: string = '*/10 * * * *';
  /** Users per reconciliation batch: bounds memory and how long writers wait on one batch. */
  @IsInt() @Min(1) @Max(10_000) RECONCILE_BATCH_SIZE: number = 1000;
  /**
   * Batches of one run in flight at once, each on its own pooled connection holding its users'
   * locks: one batch's Postgres counting overlaps another's Redis round trips. 1 by default: 2
   * measured no faster on the large seed and holds twice the locks and connections.
   */
  @IsInt() @Min(1) @Max(8) RECONCILE_PARALLEL_BATCHES: number = 1;
  /** TTL of the reconciliation lock; it is renewed every third of it while the job runs. */
  @IsInt() @Min(1000) RECONCILE_LOCK_TTL_MS: number = 30_000;
  /** Feed timelines each reconciliation run compares with Postgres (a random sample); 0 = off. */
  @IsInt() @Min(0) @Max(100_000) RECONCILE_TIMELINE_SAMPLE: number = 200;

  /** Safety poll of the outbox relay (rows whose writer died before confirming); 0 = no relay. */
  @IsInt() @Min(0) OUTBOX_RELAY_INTERVAL_MS: number = 5000;
  /** Age after which the poll applies a row its writer has not confirmed. */
  @IsInt() @Min(0) OUTBOX_GRACE_MS: number = 5000;
  /** Entries kept per feed timeline and per author's article list (newest first). */
  @IsInt() @Min(20) TIMELINE_MAX: number = 800;
  /** Authors with more followers are not fanned out: their articles are merged at read time. */
  @IsInt() @Min(0) FANOUT_MAX_FOLLOWERS: number = 5000;
  /** Follower timelines written per pipelined Redis round trip by a fan-out job. */
  @IsInt() @Min(1) @Max(10_000) FANOUT_BATCH_SIZE: number = 1000;
  /** How often each instance checks that Redis kept its data (epoch marker, run id); 0 = never. */
  @IsInt() @Min(0) REDIS_LOSS_CHECK_INTERVAL_MS: number = 5000;
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
  if (env.NODE_ENV === 'production' && env.METRICS_TOKEN.length < 16) {
    problems.push(
      'METRICS_TOKEN: required in production (16+ characters); /metrics then needs "Authorization: Bearer <token>"',
    );
  }
  if (env.RECONCILE_ENABLED && typeof env.RECONCILE_CRON === 'string') {
    // Parsed as BullMQ's job scheduler parses it.
    try {
      CronExpressionParser.parse(env.RECONCILE_CRON);
    } catch (error) {
      problems.push(`RECONCILE_CRON: not a cron expression (${(error as Error).message})`);
    }
  }
  if (env.ONLINE_MARK_INTERVAL_SECONDS >= env.ONLINE_WINDOW_SECONDS) {
    problems.push(
      'ONLINE_MARK_INTERVAL_SECONDS: must be shorter than ONLINE_WINDOW_SECONDS, or active users would drop out of the window',
    );
  }
  problems.push(...redisTopologyProblems(env));
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
