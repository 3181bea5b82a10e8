import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { Env } from '../config/env.schema.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { credentialsThrottlerOptions } from '../auth/credentials-throttle.js';
import { PasswordHasher } from '../auth/password-hasher.js';
import { UserDirectory } from './user-directory.service.js';
import { AdminGuard } from '../auth/admin.guard.js';
import { AdminUsersController } from './admin-users.controller.js';
import { User } from './user.entity.js';
import { UserRolesService } from './user-roles.service.js';
import { UsersController } from '../auth/account.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from '../auth/account.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
    AuthModule,
    ThrottlerModule.forRootAsync({
      inject: [Env, RedisGateway],
      useFactory: credentialsThrottlerOptions,
    }),
  ],
  controllers: [UsersController, AdminUsersController],
  providers: [
    UsersService,
    UsersRepository,
    UserDirectory,
    PasswordHasher,
    UserRolesService,
    AdminGuard,
  ],
  exports: [UserDirectory, UserRolesService, AdminGuard],
})
export class UsersModule {}
