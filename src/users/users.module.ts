import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { Env } from '../config/env.schema.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { credentialsThrottlerOptions } from './credentials-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { ProfilesService } from './profiles.service.js';
import { AdminGuard } from './admin.guard.js';
import { AdminUsersController } from './admin-users.controller.js';
import { User } from './user.entity.js';
import { UserRolesService } from './user-roles.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

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
    ProfilesService,
    PasswordHasher,
    UserRolesService,
    AdminGuard,
  ],
  exports: [ProfilesService, UserRolesService, AdminGuard],
})
export class UsersModule {}
