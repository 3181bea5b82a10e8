/** Which side of the follow graph a list or zset is about. */
export type FollowDirection = 'following' | 'followers';

/** One edge as stored: the other user and when the follow happened (ms since epoch). */
export interface FollowEdge {
  userId: number;
  followedAt: number;
}
