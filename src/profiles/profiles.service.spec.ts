import { NotFoundError, ValidationFailedError } from '../common/domain-error.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { FollowsService } from '../follows/follows.service.js';
import type { Mocked } from '../test-support/automock.js';
import { newTestService } from '../test-support/new-test-service.js';
import type { PublicProfile } from '../users/public-profile.js';
import { UserDirectory } from '../users/user-directory.service.js';
import { ProfilesService } from './profiles.service.js';

const alice: PublicProfile = { id: 1, username: 'alice', bio: null, image: null };
const bob: PublicProfile = { id: 2, username: 'bob', bio: 'hi', image: null };
const carol: PublicProfile = { id: 3, username: 'carol', bio: null, image: null };
const everyone = [alice, bob, carol];
const COUNTS = { articles: 4, followers: 10, following: 20, likes: 30, views: 40 };

describe('ProfilesService', () => {
  let sut: ProfilesService;
  let follows: Mocked<FollowsService>;
  let users: Mocked<UserDirectory>;

  beforeEach(() => {
    const service = newTestService(ProfilesService);
    sut = service.sut;
    follows = service.mock(FollowsService);
    users = service.mock(UserDirectory);
    service.mock(UserCountersService).get.mockResolvedValue(COUNTS);
    users.getByUsername.mockImplementation((name) =>
      Promise.resolve(everyone.find((p) => p.username === name) ?? null),
    );
    users.getManyByIds.mockImplementation((ids) =>
      Promise.resolve(new Map(ids.map((id) => [id, everyone.find((p) => p.id === id) ?? null]))),
    );
    follows.followingFlags.mockImplementation((viewer, ids) =>
      Promise.resolve(ids.map((id) => viewer !== undefined && id === bob.id)),
    );
  });

  it('answers 404 for an unknown user, and follows nobody', async () => {
    await expect(sut.follow(alice.id, 'nobody')).rejects.toBeInstanceOf(NotFoundError);
    await expect(sut.profile('nobody')).rejects.toBeInstanceOf(NotFoundError);
    expect(follows.follow).not.toHaveBeenCalled();
  });

  it('follows by id and answers the profile with the viewer’s flag and the user’s counts', async () => {
    expect(await sut.follow(alice.id, 'bob')).toEqual({
      username: 'bob',
      bio: 'hi',
      image: null,
      following: true,
      followersCount: 10,
      followingCount: 20,
      articlesCount: 4,
      favoritesReceivedCount: 30,
    });
    expect(follows.follow).toHaveBeenCalledWith(alice.id, bob.id);
  });

  it('unfollows by id', async () => {
    await sut.unfollow(alice.id, 'bob');
    expect(follows.unfollow).toHaveBeenCalledWith(alice.id, bob.id);
  });

  it('turns a page of ids into profiles with the viewer’s flags, skipping deleted users', async () => {
    follows.page.mockResolvedValue({ userIds: [3, 99, 2], nextCursor: 'next' });
    const page = await sut.list('alice', 'following', alice.id, 3);
    expect(follows.page).toHaveBeenCalledWith(alice.id, 'following', 3, undefined);
    expect(page).toEqual({
      profiles: [
        { username: 'carol', bio: null, image: null, following: false },
        { username: 'bob', bio: 'hi', image: null, following: true },
      ],
      nextCursor: 'next',
    });
  });

  it('rejects a malformed cursor before looking the user up', async () => {
    await expect(sut.list('nobody', 'followers', undefined, 5, '%%%')).rejects.toBeInstanceOf(
      ValidationFailedError,
    );
    expect(users.getByUsername).not.toHaveBeenCalled();
  });

  it('answers a user’s counts by name', async () => {
    expect(await sut.stats('bob')).toEqual({ username: 'bob', ...COUNTS });
  });
});
