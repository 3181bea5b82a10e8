import { Injectable } from '@nestjs/common';
import { OutboxService } from '../outbox/outbox.service.js';
import { UserDirectory } from './user-directory.service.js';
import { UserRolesService } from './user-roles.service.js';
import type { User } from './user.entity.js';
import { UsersRepository, type UserChanges } from './users.repository.js';

export type { UserChanges };

/** What creating an account needs: the password is already hashed (by auth). */
export interface NewAccount {
  email: string;
  username: string;
  passwordHash: string;
}

/**
 * User records for the other modules (auth's account routes, the admin CLI): every write commits
 * with its cache invalidations in one outbox transaction, so no cached profile or name outlives it.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly directory: UserDirectory,
    private readonly roles: UserRolesService,
    private readonly outbox: OutboxService,
  ) {}

  findById(id: number): Promise<User | null> {
    return this.users.findById(id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email);
  }

  async create(account: NewAccount): Promise<User> {
    const role = await this.roles.roleForNewUser(account.email);
    return this.outbox.write(async (tx) => {
      const inserted = await this.users.insert({ ...account, role }, tx);
      // The name may have been looked up (and cached as unknown) before it was taken.
      return {
        result: inserted,
        effects: this.directory.staleAfterChange(inserted.id, inserted.username),
      };
    });
  }

  /** Applies `changes` to `before` (as read by the caller); null when the user is gone. */
  update(before: User, changes: UserChanges): Promise<User | null> {
    return this.outbox.write(async (tx) => {
      const updated = await this.users.update(before.id, changes, tx);
      return {
        result: updated,
        effects: updated
          ? this.directory.staleAfterUpdate(updated.id, before.username, updated.username)
          : null,
      };
    });
  }
}
