import type { DataSourceOptions, Logger } from 'typeorm';
import { Article, ArticleTag, Comment, Favorite } from '../articles/article.entity.js';
import { Session } from '../auth/session.entity.js';
import { Follow } from '../follows/follow.entity.js';
import { User } from '../users/user.entity.js';
import { migrations } from './migrations/index.js';

/** Every entity of every feature module, listed once for the app and the TypeORM CLI. */
export const entities = [User, Session, Follow, Article, ArticleTag, Favorite, Comment];

/**
 * The one description of our Postgres connection, used by the Nest app (TypeOrmModule), by the
 * TypeORM CLI (data-source.ts) and by the migration runner. Schema changes come from migrations only:
 * `synchronize` stays off everywhere, tests included.
 */
export function typeormOptions(
  databaseUrl: string,
  extra: { poolSize?: number; logger?: Logger; applicationName?: string } = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logger: extra.logger,
    // Fail fast instead of hanging when Postgres is unreachable or a query runs away.
    connectTimeoutMS: 5000,
    poolSize: extra.poolSize,
    applicationName: extra.applicationName ?? 'conduit-api',
    extra: { statement_timeout: 10_000, idle_in_transaction_session_timeout: 10_000 },
  };
}
