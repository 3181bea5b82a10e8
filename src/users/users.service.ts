import { Injectable } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import type { AuthContext } from '../auth/auth-context.js';
import { NotFoundError, UnauthorizedError } from '../common/domain-error.js';
import type { LoginUser, NewUser, UpdateUser, UserView } from './dto/user.dto.js';
import { PasswordHasher } from './password-hasher.js';
import { ProfilesService } from './profiles.service.js';
import { UserRolesService } from './user-roles.service.js';
import type { User } from './user.entity.js';
import { UsersRepository, type UserChanges } from './users.repository.js';

function toUserView(user: User, token: string): UserView {
  return { email: user.email, token, username: user.username, bio: user.bio, image: user.image };
}

/** Registration, login and the current user's own account. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly profiles: ProfilesService,
    private readonly passwords: PasswordHasher,
    private readonly auth: AuthService,
    private readonly roles: UserRolesService,
  ) {}

  async register(input: NewUser): Promise<UserView> {
    const user = await this.users.insert({
      email: input.email,
      username: input.username,
      passwordHash: await this.passwords.hash(input.password),
      role: this.roles.roleForNewUser(input.email),
    });
    // The name may have been looked up (and cached as unknown) before it was taken.
    await this.profiles.invalidate(user.id, user.username);
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
    const after = await this.users.update(auth.userId, changes);
    if (!after) throw new NotFoundError('user not found');
    await this.profiles.invalidate(after.id, before.username, after.username);
    return toUserView(after, auth.token);
  }
}
