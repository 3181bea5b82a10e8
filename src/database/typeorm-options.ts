import type { DataSourceOptions, Logger } from 'typeorm';
import { migrations } from './migrations/index.js';

/**
 * The one description of our Postgres connection, used by the Nest app (TypeOrmModule), by the
 * TypeORM CLI (data-source.ts), by the migration runner and by the CLIs (plain SQL, no entities).
 * Schema changes come from migrations only: `synchronize` stays off everywhere, tests included.
 */
export interface ConnectionSettings {
  poolSize?: number;
  logger?: Logger;
  applicationName?: string;
  /** Wait for a pooled (or new) connection; pg's `connectionTimeoutMillis`. */
  acquireTimeoutMs?: number;
  /** Postgres `statement_timeout` of every connection of the pool. */
  statementTimeoutMs?: number;
  /** Postgres `lock_timeout` of every connection of the pool (unset: wait up to the statement timeout). */
  lockTimeoutMs?: number;
  /**
   * Entity classes or file globs. The app leaves it empty: each feature module registers its own
   * entities (TypeOrmModule.forFeature with autoLoadEntities), so this folder imports no feature.
   * Only the TypeORM CLI (migration:generate) loads them all, by glob (data-source.ts).
   */
  entities?: DataSourceOptions['entities'];
}

export function typeormOptions(
  databaseUrl: string,
  extra: ConnectionSettings = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: extra.entities ?? [],
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logger: extra.logger,
    // Fail fast instead of hanging when Postgres is unreachable, the pool is exhausted (both are
    // pg's connectionTimeoutMillis) or a query runs away. The app passes short values (see Env)
    // so overload becomes a prompt 503; the CLIs and migrations keep the roomier defaults.
    connectTimeoutMS: extra.acquireTimeoutMs ?? 5000,
    poolSize: extra.poolSize,
    applicationName: extra.applicationName ?? 'conduit-api',
    extra: {
      statement_timeout: extra.statementTimeoutMs ?? 10_000,
      ...(extra.lockTimeoutMs === undefined ? {} : { lock_timeout: extra.lockTimeoutMs }),
      idle_in_transaction_session_timeout: 10_000,
    },
  };
}
