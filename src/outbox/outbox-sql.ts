import type { WriteEffects } from './write-effects.js';

/**
 * Wraps a data-modifying statement (with RETURNING) so that it records its outbox row in the SAME
 * statement, only when it changed a row: atomic without BEGIN/COMMIT, one round trip instead of
 * four for a single-statement write (a follow, a favorite). The result has the change's columns
 * plus `outbox_id` (null when nothing changed). `alongside`: more data-modifying CTEs of the same
 * statement, which may refer to `change` (e.g. a count moved only when the change happened);
 * Postgres allows them only at the top level, so they cannot be nested inside `changeSql`.
 */
export function withOutboxRow(
  changeSql: string,
  params: unknown[],
  e: WriteEffects,
  alongside: string[] = [],
): { sql: string; params: unknown[] } {
  const n = params.length;
  const more = alongside.map((cte) => `${cte},`).join('\n      ');
  return {
    sql: `WITH change AS (${changeSql}),
      ${more}
      recorded AS (
        INSERT INTO cache_outbox (cache_keys, tags, derived_keys, recount_users, jobs)
        SELECT $${n + 1}::text[], $${n + 2}::text[], $${n + 3}::text[], $${n + 4}::int[],
               $${n + 5}::jsonb
        WHERE EXISTS (SELECT 1 FROM change)
        RETURNING id)
      SELECT change.*, (SELECT id FROM recorded) AS outbox_id FROM change`,
    params: [...params, e.cacheKeys, e.tags, e.derivedKeys, e.recountUsers, JSON.stringify(e.jobs)],
  };
}
