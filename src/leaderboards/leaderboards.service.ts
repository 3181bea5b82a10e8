import { Injectable } from '@nestjs/common';
import { ServiceUnavailableError } from '../common/domain-error.js';
import {
  LeaderboardNotBuiltError,
  LiveLeaderboards,
  type LeaderboardPage,
} from '../counters/live-leaderboards.js';
import type { UserMetric } from '../redis/keys.js';
import { UserDirectory } from '../users/user-directory.service.js';
import type { RankedPage, RankedUser } from './leaderboard.model.js';

/** Leaderboard pages (admin) with each user's cached profile. */
@Injectable()
export class LeaderboardsService {
  constructor(
    private readonly boards: LiveLeaderboards,
    private readonly profiles: UserDirectory,
  ) {}

  /**
   * A page of a leaderboard with each user's cached profile: one Redis round trip for the page and
   * one pipelined round trip for the profiles (plus one SQL query for profile cache misses),
   * whatever the limit.
   */
  async page(metric: UserMetric, limit: number, offset: number): Promise<RankedPage> {
    let page: LeaderboardPage;
    try {
      page = await this.boards.leaderboardPage(metric, offset, limit);
    } catch (error) {
      if (error instanceof LeaderboardNotBuiltError) {
        // Redis lost the board; a reconciliation is rebuilding it. A partial board would be wrong.
        throw new ServiceUnavailableError(`the ${metric} leaderboard is being rebuilt`);
      }
      // Counted and logged by the gateway. Ranking every user from Postgres per request is what the leaderboards exist to avoid.
      throw new ServiceUnavailableError('leaderboards are unavailable right now');
    }
    const profiles = await this.profiles.getManyByIds(page.entries.map((entry) => entry.userId));
    const entries: RankedUser[] = [];
    page.entries.forEach(({ userId, score }, index) => {
      const profile = profiles.get(userId);
      // Zero scores carry no rank; a deleted user's leftover entry is reconciliation's to remove.
      if (!profile || score <= 0) return;
      entries.push({
        rank: offset + index + 1,
        score,
        profile: { username: profile.username, bio: profile.bio, image: profile.image },
      });
    });
    return { metric, limit, offset, total: page.total, entries };
  }
}
