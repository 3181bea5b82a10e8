import { OutboxService } from '../outbox/outbox.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { Mocked } from '../test-support/automock.js';
import { fakeOutbox } from '../test-support/fake-outbox.js';
import { newTestService, provide, TEST_KEY_PREFIX } from '../test-support/new-test-service.js';
import { PUBLIC_PROFILES_TAG, UserDirectory } from './user-directory.service.js';
import { UserRolesService } from './user-roles.service.js';
import type { User } from './user.entity.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

const keys = new RedisKeys(TEST_KEY_PREFIX);
const JAKE = { id: 7, email: 'jake@example.com', username: 'jake' } as User;

describe('UsersService', () => {
  let sut: UsersService;
  let users: Mocked<UsersRepository>;
  let outbox: Mocked<OutboxService>;

  beforeEach(() => {
    outbox = fakeOutbox();
    const service = newTestService(UsersService, provide(OutboxService, outbox));
    sut = service.sut;
    users = service.mock(UsersRepository);
    // The real staleAfter*: which keys and tags a change makes stale is what is under test.
    const directory = newTestService(UserDirectory).sut;
    const mocked = service.mock(UserDirectory);
    mocked.staleAfterChange.mockImplementation((id, ...names) =>
      directory.staleAfterChange(id, ...names),
    );
    mocked.staleAfterUpdate.mockImplementation((id, ...names) =>
      directory.staleAfterUpdate(id, ...names),
    );
    service.mock(UserRolesService).roleForNewUser.mockResolvedValue('user');
  });

  it('creates the row with its role and evicts the name, which may be cached as unknown', async () => {
    users.insert.mockResolvedValue(JAKE);
    await sut.create({ email: JAKE.email, username: 'jake', passwordHash: 'h' });
    expect(users.insert).toHaveBeenCalledWith(
      { email: JAKE.email, username: 'jake', passwordHash: 'h', role: 'user' },
      expect.anything(),
    );
    expect(outbox.complete).toHaveBeenCalledWith(
      expect.objectContaining({
        effects: expect.objectContaining({
          cacheKeys: [keys.userProfile(7), keys.userIdByName('jake')],
          // A new user is on no leaderboard page yet: no page to orphan.
          tags: [],
        }),
      }),
    );
  });

  it('evicts the profile and both the old and the new name on a rename, and bumps the composed profile caches', async () => {
    users.update.mockResolvedValue({ ...JAKE, username: 'jacob' });
    await sut.update(JAKE, { username: 'jacob' });
    expect(outbox.complete).toHaveBeenCalledWith(
      expect.objectContaining({
        effects: expect.objectContaining({
          cacheKeys: [keys.userProfile(7), keys.userIdByName('jake'), keys.userIdByName('jacob')],
          // Leaderboard pages embed usernames.
          tags: [PUBLIC_PROFILES_TAG],
        }),
      }),
    );
  });

  it('records nothing when the user vanished meanwhile', async () => {
    users.update.mockResolvedValue(null);
    expect(await sut.update(JAKE, { bio: 'x' })).toBeNull();
    expect(outbox.complete).toHaveBeenCalledWith(null);
  });
});
