/**
 * The Redis side effects of one committed write, as recorded in the outbox:
 * - `cacheKeys`: cache entries to delete (each with its fill lease): the writer and the relay both
 *   delete them;
 * - `tags`: cache tags to bump (writer and relay);
 * - `derivedKeys`: derived structures (follow zsets, favorites sets) the writer updates in place;
 *   the relay drops them instead (they are rebuilt lazily from Postgres);
 * - `recountUsers`: users whose counts the writer moves by deltas; the relay recounts them from
 *   Postgres instead (absolute values, so a delta applied twice or never is repaired either way);
 * - `jobs`: background jobs to enqueue (timeline fan-out); the writer enqueues them, the relay
 *   enqueues them again under the same job ids (a queue drops a duplicate id; jobs are idempotent).
 * Every action is idempotent, and they commute: the relay may apply rows in any order, twice, or
 * concurrently with their writer.
 */
export interface WriteEffects {
  cacheKeys: string[];
  tags: string[];
  derivedKeys: string[];
  recountUsers: number[];
  jobs: OutboxJob[];
}

/**
 * A job a write asks for. `kind` picks the dispatcher registered with OutboxService; `id` is
 * assigned from the outbox row (`<row id>-<index>`), the same for the writer and every relay.
 */
export interface OutboxJob {
  kind: string;
  name: string;
  data: Record<string, number>;
  id?: string;
}

export function effects(partial: Partial<WriteEffects>): WriteEffects {
  return {
    cacheKeys: [...new Set(partial.cacheKeys ?? [])],
    tags: [...new Set(partial.tags ?? [])],
    derivedKeys: [...new Set(partial.derivedKeys ?? [])],
    recountUsers: [...new Set(partial.recountUsers ?? [])],
    jobs: partial.jobs ?? [],
  };
}

/** The union of many rows' effects: one relay pass applies each key, tag and recount once. */
export function mergeEffects(all: WriteEffects[]): WriteEffects {
  return effects({
    cacheKeys: all.flatMap((e) => e.cacheKeys),
    tags: all.flatMap((e) => e.tags),
    derivedKeys: all.flatMap((e) => e.derivedKeys),
    recountUsers: all.flatMap((e) => e.recountUsers),
    jobs: all.flatMap((e) => e.jobs),
  });
}

/** The row's jobs with their ids: stable across the writer and the relays. */
export function withJobIds(rowId: string, jobs: OutboxJob[]): OutboxJob[] {
  return jobs.map((job, i) => ({ ...job, id: `${rowId}-${i}` }));
}
