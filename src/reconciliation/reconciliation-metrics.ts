import type { MetricsService } from '../metrics/metrics.service.js';
import type { ReconciliationReport } from './reconciliation-report.js';

/** Exports a completed run's report as Prometheus metrics (runs, repairs, drift, timelines). */
export function recordCompletedRun(m: MetricsService, report: ReconciliationReport): void {
  m.reconciliationRuns.inc({ outcome: 'completed' });
  m.reconciliationUsersScanned.set(report.usersScanned);
  m.reconciliationDuration.set(report.durationMs / 1000);
  m.reconciliationLastSuccess.set(Date.parse(report.finishedAt) / 1000);
  m.reconciliationHashRepairs.inc({ kind: 'created' }, report.hashes.created);
  m.reconciliationHashRepairs.inc({ kind: 'corrected' }, report.hashes.corrected);
  m.reconciliationTimelines.inc({ kind: 'checked' }, report.timelines.checked);
  m.reconciliationTimelines.inc({ kind: 'drifted' }, report.timelines.drifted);
  for (const [metric, c] of Object.entries(report.metrics)) {
    for (const kind of ['added', 'changed', 'removed'] as const) {
      m.reconciliationCorrections.inc({ metric, kind }, c[kind]);
    }
    m.reconciliationLargestDifference.set({ metric }, c.largestDifference);
  }
}
