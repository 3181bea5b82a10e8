import type { UserMetric } from '../redis/keys.js';

/** What one run corrected on one metric's leaderboard. */
export interface MetricCorrections {
  /** Users with a count who were missing from the board. */
  added: number;
  /** Users on the board with a wrong score. */
  changed: number;
  /** Members on the board without a count: zero counts, deleted users, ghosts. */
  removed: number;
  /** Largest |board score - true count| seen (a missing member counts as 0). */
  largestDifference: number;
}

export interface ReconciliationReport {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  usersScanned: number;
  /** Per-user count hashes: created where missing, corrected where a value was wrong. */
  hashes: { created: number; corrected: number };
  metrics: Partial<Record<UserMetric, MetricCorrections>>;
  /**
   * Feed timelines of a random sample of users that have one (RECONCILE_TIMELINE_SAMPLE):
   * compared with Postgres, and dropped when wrong (rebuilt on their next read).
   */
  timelines: { checked: number; drifted: number };
}

export const noCorrections = (): MetricCorrections => ({
  added: 0,
  changed: 0,
  removed: 0,
  largestDifference: 0,
});

/**
 * Compares a batch's true counts with the scores the live board had for the same users.
 * Users whose true count is 0 are left to the final sweep (`addRemoved`) (they are not written to the new board,
 * so the final sweep finds them there, and counting them here too would count them twice).
 */
export function diffBatch(
  into: MetricCorrections,
  userIds: number[],
  truth: Map<number, number>,
  liveScores: (number | null)[],
): void {
  userIds.forEach((userId, index) => {
    const count = truth.get(userId) ?? 0;
    const live = liveScores[index];
    if (count === 0) return;
    if (live === null) into.added += 1;
    else if (live !== count) into.changed += 1;
    else return;
    into.largestDifference = Math.max(into.largestDifference, Math.abs(count - (live ?? 0)));
  });
}

/** Live members absent from the new board (`count` of them) are removed by the swap. */
export function addRemoved(into: MetricCorrections, count: number, largestScore: number): void {
  if (count === 0) return;
  into.removed += count;
  into.largestDifference = Math.max(into.largestDifference, Math.abs(largestScore));
}

/** The hash holds exactly the true counts for every metric we reconcile? */
export function hashState(
  hash: Record<string, string>,
  truth: Partial<Record<UserMetric, number>>,
): 'ok' | 'missing' | 'wrong' {
  if (Object.keys(hash).length === 0) return 'missing';
  for (const [metric, count] of Object.entries(truth)) {
    if (hash[metric] !== String(count)) return 'wrong';
  }
  return 'ok';
}

/** The report as a plain-text table (logs and the CLI). */
export function formatReport(report: ReconciliationReport): string {
  const header = ['metric', 'added', 'changed', 'removed', 'largest diff'];
  const rows = Object.entries(report.metrics).map(([metric, c]) => [
    metric,
    String(c.added),
    String(c.changed),
    String(c.removed),
    String(c.largestDifference),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ');
  return [
    `reconciliation ${report.startedAt} -> ${report.finishedAt} (${report.durationMs} ms), ` +
      `${report.usersScanned} users scanned, hashes created ${report.hashes.created}, ` +
      `corrected ${report.hashes.corrected}, timelines checked ${report.timelines.checked}, ` +
      `drifted (dropped) ${report.timelines.drifted}`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}
