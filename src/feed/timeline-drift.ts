import type { TimelineEntry } from './feed.repository.js';

/** A feed timeline as loaded in full from Redis (sentinel excluded). */
export interface LoadedTimeline {
  /** Newest first (the Postgres feed order). */
  entries: TimelineEntry[];
  /** Sentinel score 0: holds its whole scope; otherwise trimmed (older entries may be missing). */
  complete: boolean;
}

/**
 * Whether a timeline disagrees with what Postgres says it must hold. `truth` is the newest
 * `max + 1` feed entries of the user's pushed (non-pulled) followees, newest first: the same query
 * a rebuild runs, so one more than `max` tells that the scope does not fit.
 * - complete: exactly the scope (which then fits in `max`), same ids and scores in the same order;
 * - trimmed: the newest entries of the scope down to its oldest one, i.e. the first
 *   `entries.length` entries of the truth (a trimmed timeline may have shrunk below `max` by
 *   deletes; it then still claims nothing about what is older than its oldest entry).
 */
export function timelineDrifted(
  loaded: LoadedTimeline,
  truth: TimelineEntry[],
  max: number,
): boolean {
  if (loaded.entries.length > max) return true;
  if (loaded.complete && truth.length !== loaded.entries.length) return true;
  if (!loaded.complete && truth.length < loaded.entries.length) return true;
  return loaded.entries.some(
    (entry, i) => entry.id !== truth[i].id || entry.createdAtMs !== truth[i].createdAtMs,
  );
}
