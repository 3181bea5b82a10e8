/** The viewer-independent part of a profile: what the profile cache holds. */
export interface PublicProfile {
  id: number;
  username: string;
  bio: string | null;
  image: string | null;
}
