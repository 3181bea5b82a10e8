import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminUsersController } from './admin-users.controller.js';
import { User } from './user.entity.js';
import { UserDirectory } from './user-directory.service.js';
import { UserRolesService } from './user-roles.service.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

/**
 * User records and their caches: the account rows (UsersService), the cached public profiles and
 * name lookups every other module reads (UserDirectory), and roles (UserRolesService, which the
 * admin guard of any module's admin routes resolves from here).
 */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [AdminUsersController],
  providers: [UsersService, UsersRepository, UserDirectory, UserRolesService],
  exports: [UsersService, UserDirectory, UserRolesService],
})
export class UsersModule {}
