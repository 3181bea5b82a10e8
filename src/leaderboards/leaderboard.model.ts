import type { UserMetric } from '../redis/keys.js';

/** A user on a leaderboard page, with the public part of their profile. */
export interface RankedUser {
  /** 1-based position; equal scores get consecutive ranks. */
  rank: number;
  score: number;
  profile: { username: string; bio: string | null; image: string | null };
}

export interface RankedPage {
  metric: UserMetric;
  limit: number;
  offset: number;
  /** Users on the board. */
  total: number;
  entries: RankedUser[];
}
