import { NotFoundError, UnauthorizedError } from '../common/domain-error.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AccountService } from './account.service.js';
import { AuthService } from './auth.service.js';
import { PasswordHasher } from './password-hasher.js';

const JAKE = {
  id: 7,
  email: 'jake@example.com',
  username: 'jake',
  passwordHash: 'hash:secret-1',
  bio: null,
  image: null,
} as User;
const SESSION = { userId: JAKE.id, sessionId: 's-1', token: 'token-1' };

describe('AccountService', () => {
  let sut: AccountService;
  let users: Mocked<UsersService>;
  let auth: Mocked<AuthService>;

  beforeEach(() => {
    const service = newTestService(AccountService);
    sut = service.sut;
    users = service.mock(UsersService);
    auth = service.mock(AuthService);
    const passwords = service.mock(PasswordHasher);
    passwords.hash.mockImplementation((plain) => Promise.resolve(`hash:${plain}`));
    passwords.verify.mockImplementation((hash, plain) => Promise.resolve(hash === `hash:${plain}`));
    auth.issueToken.mockResolvedValue('new-token');
    users.findByEmail.mockImplementation((email) =>
      Promise.resolve(email === JAKE.email ? JAKE : null),
    );
    users.findById.mockImplementation((id) => Promise.resolve(id === JAKE.id ? JAKE : null));
  });

  it('registers with a hashed password and answers a new session’s token', async () => {
    users.create.mockResolvedValue(JAKE);
    const view = await sut.register({ email: JAKE.email, username: 'jake', password: 'secret-1' });
    expect(users.create).toHaveBeenCalledWith({
      email: JAKE.email,
      username: 'jake',
      passwordHash: 'hash:secret-1',
    });
    expect(auth.issueToken).toHaveBeenCalledWith(JAKE.id);
    expect(view).toEqual({
      email: JAKE.email,
      token: 'new-token',
      username: 'jake',
      bio: null,
      image: null,
    });
  });

  it('logs in with the right password only, with one message for both failures', async () => {
    expect((await sut.login({ email: JAKE.email, password: 'secret-1' })).token).toBe('new-token');
    const wrong = sut.login({ email: JAKE.email, password: 'nope' });
    const unknown = sut.login({ email: 'who@example.com', password: 'secret-1' });
    await expect(wrong).rejects.toThrow(new UnauthorizedError('email or password is invalid'));
    await expect(unknown).rejects.toThrow(new UnauthorizedError('email or password is invalid'));
    expect(auth.issueToken).toHaveBeenCalledTimes(1);
  });

  it('ends the other sessions when the password changes, and only then', async () => {
    users.update.mockResolvedValue({ ...JAKE, bio: 'hi' });
    await sut.update(SESSION, { bio: 'hi' });
    expect(auth.revokeOtherSessions).not.toHaveBeenCalled();
    await sut.update(SESSION, { password: 'secret-2' });
    expect(users.update).toHaveBeenLastCalledWith(JAKE, { passwordHash: 'hash:secret-2' });
    expect(auth.revokeOtherSessions).toHaveBeenCalledWith(SESSION);
  });

  it('stores an emptied bio or image as null and keeps the caller’s token', async () => {
    users.update.mockResolvedValue(JAKE);
    const view = await sut.update(SESSION, { bio: '', image: '' });
    expect(users.update).toHaveBeenCalledWith(JAKE, { bio: null, image: null });
    expect(view.token).toBe(SESSION.token);
  });

  it('answers 404 for a user deleted under a live session', async () => {
    await expect(sut.current({ ...SESSION, userId: 99 })).rejects.toBeInstanceOf(NotFoundError);
  });
});
