/**
 * Reconciliation's queue: runs scheduled and requested by an admin. Named `stats` from when
 * reconciliation lived in the stats module; the name stays because it is in Redis (BullMQ keys, the
 * job scheduler) and on the queue board.
 */
export const STATS_QUEUE = 'stats';
export const RECONCILE_JOB = 'reconcile';
/** The job scheduler's id (one for every instance). */
export const RECONCILIATION_SCHEDULER = 'reconciliation';

export interface ReconcileJobData {
  /** Set for an admin's request: the claim to end once the run is over. */
  requestToken?: string;
}
