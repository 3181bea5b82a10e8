import { DynamicModule, Module } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module.js';
import { AppCacheModule } from './cache/cache.module.js';
import { requestIdOf } from './common/request-id.js';
import { maskSecretHeaders } from './common/log-redaction.js';
import { AppConfigModule } from './config/config.module.js';
import { Env } from './config/env.schema.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RedisModule } from './redis/redis.module.js';
import { UsersModule } from './users/users.module.js';
import { OutboxModule } from './outbox/outbox.module.js';
import { ProfilesModule } from './profiles/profiles.module.js';
import { FollowsModule } from './follows/follows.module.js';
import { ArticlesModule } from './articles/articles.module.js';
import { CommentsModule } from './comments/comments.module.js';
import { FavoriteRoutesModule } from './favorites/favorite-routes.module.js';
import { FeedModule } from './feed/feed.module.js';
import { TagsModule } from './tags/tags.module.js';
import { LeaderboardsModule } from './leaderboards/leaderboards.module.js';
import { ReconciliationModule } from './reconciliation/reconciliation.module.js';
import { StatsModule } from './stats/stats.module.js';
import { QueueModule } from './queue/queue.module.js';
import { QueueBoardModule } from './queue/board/queue-board.module.js';

export interface AppModuleOptions {
  /** Environment values that take precedence over `process.env` (tests, second instances). */
  env?: Record<string, string>;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(options.env),
        LoggerModule.forRootAsync({
          inject: [Env],
          useFactory: (env: Env) => ({
            pinoHttp: {
              level: env.LOG_LEVEL,
              genReqId: (req: IncomingMessage) => requestIdOf(req),
              // Masks authorization and cookie in the serializer (see log-redaction.ts): pino's
              // `redact` option deep-cloned every request's bindings to do it.
              serializers: { req: maskSecretHeaders },
              // Health probes and scrapes would drown the access log. Nest's Fastify middleware
              // strips the mount path from `req.url`; `originalUrl` is what the client asked for.
              autoLogging: {
                ignore: (req: IncomingMessage & { originalUrl?: string }) =>
                  /^\/(health|metrics)(\/|\?|$)/.test(req.originalUrl ?? req.url ?? ''),
              },
            },
          }),
        }),
        MetricsModule,
        DatabaseModule,
        RedisModule,
        QueueModule.forRoot(),
        AppCacheModule,
        HealthModule,
        AuthModule,
        OutboxModule,
        UsersModule,
        FollowsModule,
        ProfilesModule,
        ArticlesModule,
        FavoriteRoutesModule,
        CommentsModule,
        TagsModule,
        FeedModule,
        StatsModule,
        LeaderboardsModule,
        ReconciliationModule,
        QueueBoardModule.forRoot(),
      ],
    };
  }
}
