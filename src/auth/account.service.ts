import { Injectable } from '@nestjs/common';
import { AuthService } from './auth.service.js';
import type { AuthContext } from './auth-context.js';
import { NotFoundError, UnauthorizedError } from '../common/domain-error.js';
import type { LoginUser, NewUser, UpdateUser, UserView } from './account.dto.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { PasswordHasher } from './password-hasher.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { UserRolesService } from '../users/user-roles.service.js';
import type { User } from '../users/user.entity.js';
import { UsersRepository, type UserChanges } from '../users/users.repository.js';

function toUserView(user: User, token: string): UserView {
  return { email: user.email, token, username: user.username, bio: user.bio, image: user.image };
}

/** Registration, login and the current user's own account. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly profiles: UserDirectory,
    private readonly passwords: PasswordHasher,
    private readonly auth: AuthService,
    private readonly roles: UserRolesService,
    private readonly outbox: OutboxService,
  ) {}

  async register(input: NewUser): Promise<UserView> {
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.outbox.write(async (tx) => {
      const inserted = await this.users.insert(
        {
          email: input.email,
          username: input.username,
          passwordHash,
          role: await this.roles.roleForNewUser(input.email),
        },
        tx,
      );
      // The name may have been looked up (and cached as unknown) before it was taken.
      return {
        result: inserted,
        effects: this.profiles.staleAfterChange(inserted.id, inserted.username),
      };
    });
    return toUserView(user, await this.auth.issueToken(user.id));
  }

  async login(input: LoginUser): Promise<UserView> {
    const user = await this.users.findByEmail(input.email);
    const valid = await this.passwords.verify(user?.passwordHash, input.password);
    if (!user || !valid) throw new UnauthorizedError('email or password is invalid', 'credentials');
    return toUserView(user, await this.auth.issueToken(user.id));
  }

  async current(auth: AuthContext): Promise<UserView> {
    const user = await this.users.findById(auth.userId);
    if (!user) throw new NotFoundError('user not found');
    return toUserView(user, auth.token);
  }

  async update(auth: AuthContext, input: UpdateUser): Promise<UserView> {
    const before = await this.users.findById(auth.userId);
    if (!before) throw new NotFoundError('user not found');
    const changes: UserChanges = {};
    if (input.email !== undefined) changes.email = input.email;
    if (input.username !== undefined) changes.username = input.username;
    if (input.password !== undefined)
      changes.passwordHash = await this.passwords.hash(input.password);
    if (input.bio !== undefined) changes.bio = input.bio === '' ? null : input.bio;
    if (input.image !== undefined) changes.image = input.image === '' ? null : input.image;
    const after = await this.outbox.write(async (tx) => {
      const updated = await this.users.update(auth.userId, changes, tx);
      return {
        result: updated,
        effects: updated
          ? this.profiles.staleAfterChange(updated.id, before.username, updated.username)
          : null,
      };
    });
    if (!after) throw new NotFoundError('user not found');
    // Whoever else holds a session (a stolen token, a forgotten device) is out; this one stays.
    if (changes.passwordHash !== undefined) await this.auth.revokeOtherSessions(auth);
    return toUserView(after, auth.token);
  }
}
