import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/domain-error.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { decodeCursor } from '../follows/cursor.js';
import type { FollowDirection } from '../follows/follow-direction.js';
import { FollowsService } from '../follows/follows.service.js';
import type { PublicProfile } from '../users/public-profile.js';
import { UserDirectory } from '../users/user-directory.service.js';
import type { FollowListResponse, ProfileView, ProfileWithCountsView } from './profile.dto.js';
import type { UserStatsView } from './user-stats.dto.js';

const DEFAULT_PAGE_SIZE = 20;

/**
 * `/profiles/:username/*` for one viewer: the cached public profile (users), the viewer's
 * `following` flag and the follow lists (follows), the user's counts (counters).
 */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly users: UserDirectory,
    private readonly follows: FollowsService,
    private readonly counters: UserCountersService,
  ) {}

  async profile(username: string, viewerId?: number): Promise<ProfileWithCountsView> {
    return this.withCounts(await this.require(username), viewerId);
  }

  async follow(viewerId: number, username: string): Promise<ProfileWithCountsView> {
    const target = await this.require(username);
    await this.follows.follow(viewerId, target.id);
    return this.withCounts(target, viewerId);
  }

  async unfollow(viewerId: number, username: string): Promise<ProfileWithCountsView> {
    const target = await this.require(username);
    await this.follows.unfollow(viewerId, target.id);
    return this.withCounts(target, viewerId);
  }

  /** All counts of a user: the Redis hash, or Postgres when Redis has nothing (then cached). */
  async stats(username: string): Promise<UserStatsView> {
    const profile = await this.require(username);
    const counts = await this.counters.get(profile.id);
    return { username: profile.username, ...counts };
  }

  async list(
    username: string,
    direction: FollowDirection,
    viewerId: number | undefined,
    limit = DEFAULT_PAGE_SIZE,
    cursor?: string,
  ): Promise<FollowListResponse> {
    // A malformed cursor is the client's error whoever the user is: checked first.
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const owner = await this.require(username);
    const { userIds, nextCursor } = await this.follows.page(owner.id, direction, limit, after);
    const [profiles, flags] = await Promise.all([
      this.users.getManyByIds(userIds),
      this.follows.followingFlags(viewerId, userIds),
    ]);
    const views: ProfileView[] = [];
    userIds.forEach((id, i) => {
      const profile = profiles.get(id);
      if (profile) views.push(view(profile, flags[i]));
    });
    return { profiles: views, nextCursor };
  }

  private async withCounts(
    profile: PublicProfile,
    viewerId: number | undefined,
  ): Promise<ProfileWithCountsView> {
    const [counts, [following]] = await Promise.all([
      this.counters.get(profile.id),
      this.follows.followingFlags(viewerId, [profile.id]),
    ]);
    return {
      ...view(profile, following),
      followersCount: counts.followers,
      followingCount: counts.following,
      articlesCount: counts.articles,
      favoritesReceivedCount: counts.likes,
    };
  }

  private async require(username: string): Promise<PublicProfile> {
    const profile = await this.users.getByUsername(username);
    if (!profile) throw new NotFoundError('profile not found');
    return profile;
  }
}

function view(profile: PublicProfile, following: boolean): ProfileView {
  return { username: profile.username, bio: profile.bio, image: profile.image, following };
}
