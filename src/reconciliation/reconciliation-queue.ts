/** The stats module's queue: reconciliation runs (scheduled and requested by an admin). */
export const STATS_QUEUE = 'stats';
export const RECONCILE_JOB = 'reconcile';
/** The job scheduler's id (one for every instance). */
export const RECONCILIATION_SCHEDULER = 'reconciliation';

export interface ReconcileJobData {
  /** Set for an admin's request: the claim to end once the run is over. */
  requestToken?: string;
}
