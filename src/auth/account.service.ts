import { Injectable } from '@nestjs/common';
import { NotFoundError, UnauthorizedError } from '../common/domain-error.js';
import type { User } from '../users/user.entity.js';
import { UsersService, type UserChanges } from '../users/users.service.js';
import type { LoginUser, NewUser, UpdateUser, UserView } from './account.dto.js';
import type { AuthContext } from './auth-context.js';
import { AuthService } from './auth.service.js';
import { PasswordHasher } from './password-hasher.js';

function toUserView(user: User, token: string): UserView {
  return { email: user.email, token, username: user.username, bio: user.bio, image: user.image };
}

/**
 * The RealWorld "User and Authentication" flows: registration and login (each opens a session),
 * the current user, and account updates (a new password ends every other session).
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
    private readonly auth: AuthService,
  ) {}

  async register(input: NewUser): Promise<UserView> {
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.users.create({
      email: input.email,
      username: input.username,
      passwordHash,
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
    const after = await this.users.update(before, changes);
    if (!after) throw new NotFoundError('user not found');
    // Whoever else holds a session (a stolen token, a forgotten device) is out; this one stays.
    if (changes.passwordHash !== undefined) await this.auth.revokeOtherSessions(auth);
    return toUserView(after, auth.token);
  }
}
