import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Env } from '../config/env.schema.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { credentialsThrottlerOptions } from './credentials-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { StatsModule } from '../stats/stats.module.js';
import { Session } from './session.entity.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Session]),
    UsersModule,
    StatsModule,
    ThrottlerModule.forRootAsync({
      inject: [Env, RedisGateway],
      useFactory: credentialsThrottlerOptions,
    }),
    JwtModule.registerAsync({
      inject: [Env],
      useFactory: (env: Env) => ({
        // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a
        // public key on every verify (createPublicKey), which cost ~15% of CPU per request.
        secret: createSecretKey(Buffer.from(env.JWT_SECRET)),
        signOptions: { expiresIn: env.JWT_TTL_SECONDS, algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, AccountController],
  providers: [
    AuthService,
    AccountService,
    PasswordHasher,
    SessionsService,
    SessionsRepository,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService],
})
export class AuthModule {}
