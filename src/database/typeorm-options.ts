import type { DataSourceOptions, Logger } from 'typeorm';
import { Article, ArticleTag, Comment, Favorite } from '../articles/article.entity.js';
import { Session } from '../auth/session.entity.js';
import { Follow } from '../follows/follow.entity.js';
import { OutboxEntry } from '../outbox/outbox-entry.entity.js';
import { User } from '../users/user.entity.js';
import { migrations } from './migrations/index.js';

/** Every entity of every feature module, listed once for the app and the TypeORM CLI. */
export const entities = [
  User,
  Session,
  Follow,
  Article,
  ArticleTag,
  Favorite,
  Comment,
  OutboxEntry,
];

/**
 * The one description of our Postgres connection, used by the Nest app (TypeOrmModule), by the
 * TypeORM CLI (data-source.ts) and by the migration runner. Schema changes come from migrations only:
 * `synchronize` stays off everywhere, tests included.
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
}

export function typeormOptions(
  databaseUrl: string,
  extra: ConnectionSettings = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
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
