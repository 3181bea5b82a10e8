import { Injectable } from '@nestjs/common';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import type { CachePolicy } from '../cache/cache-policy.js';
import { ServiceUnavailableError } from '../common/domain-error.js';
import type { JsonText } from '../common/json-text.js';
import {
  LeaderboardNotBuiltError,
  LiveLeaderboards,
  type LeaderboardPage,
} from '../counters/live-leaderboards.js';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import { PUBLIC_PROFILES_TAG, UserDirectory } from '../users/user-directory.service.js';
import type { RankedPage, RankedUser } from './leaderboard.model.js';

/**
 * How long a rendered page stays in Redis. Short: every change of the board orphans its pages (a
 * new revision), and a busy board would otherwise pile up ~8 KB orphans for the default 2 hours.
 */
const PAGE_TTL_SECONDS = 60;
const PAGE_TTL_JITTER_SECONDS = 10;

/** Leaderboard pages (admin) with each user's public profile, rendered once per board revision. */
@Injectable()
export class LeaderboardsService {
  private readonly policy: CachePolicy;

  constructor(
    private readonly boards: LiveLeaderboards,
    private readonly profiles: UserDirectory,
    private readonly cache: CacheAsideService,
    private readonly keys: RedisKeys,
  ) {
    this.policy = cache.policy('leaderboard-page', {
      ttlSeconds: PAGE_TTL_SECONDS,
      jitterSeconds: PAGE_TTL_JITTER_SECONDS,
    });
  }

  /**
   * A page of a leaderboard as the response's JSON (RankedPage). One Redis round trip reads the
   * page's version (the board's revision and the public-profiles generation); the page rendered
   * under that version comes from the cache tiers (in-process hit: no other work at all, not even
   * serialization), or is rendered once (single-flight, one lease across instances): the rank range
   * from Redis and the profiles from Postgres.
   */
  async pageJson(metric: UserMetric, limit: number, offset: number): Promise<JsonText<RankedPage>> {
    const version = await this.unavailableOnError(metric, () =>
      this.boards.pageVersion(metric, [PUBLIC_PROFILES_TAG]),
    );
    const render = async (): Promise<JsonText<RankedPage>> =>
      JSON.stringify(await this.page(metric, limit, offset));
    // A board without a revision yet (built before revisions existed) is rendered per request.
    if (version === null) return render();
    const key = this.keys.leaderboardPage(metric, version, offset, limit);
    // Never null: the loader always renders a page.
    return (await this.cache.get(key, render, this.policy))!;
  }

  /**
   * A page of a leaderboard with each user's profile, read now: one Redis round trip for the rank
   * range and one SQL query for the profiles, whatever the limit. Profiles come from Postgres, not
   * the profile cache: the page is cached under a public-profiles generation read before this,
   * and a rename is in Postgres before that generation moves, while a cached profile on this
   * instance may lag behind it (see UserDirectory.loadManyByIds).
   */
  async page(metric: UserMetric, limit: number, offset: number): Promise<RankedPage> {
    const page: LeaderboardPage = await this.unavailableOnError(metric, () =>
      this.boards.leaderboardPage(metric, offset, limit),
    );
    const profiles = await this.profiles.loadManyByIds(page.entries.map((entry) => entry.userId));
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

  /** Runs a board read, turning its failures into the 503s the route answers. */
  private async unavailableOnError<T>(metric: UserMetric, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof LeaderboardNotBuiltError) {
        // Redis lost the board; a reconciliation is rebuilding it. A partial board would be wrong.
        throw new ServiceUnavailableError(`the ${metric} leaderboard is being rebuilt`);
      }
      // Counted and logged by the gateway. Ranking every user from Postgres per request is what
      // the leaderboards exist to avoid.
      throw new ServiceUnavailableError('leaderboards are unavailable right now');
    }
  }
}
