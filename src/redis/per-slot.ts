import calculateSlot from 'cluster-key-slot';

/**
 * Runs a multi-key command valid on Redis Cluster, where a multi-key command (or a script's keys)
 * must stay in one hash slot: `run` gets the indexes of one slot's keys at a time (all slots in
 * parallel, so still one round trip per node), and the answers are put back in the order of
 * `keys`.
 */
export async function perSlot<R>(
  keys: string[],
  run: (indexes: number[]) => Promise<R[]>,
): Promise<R[]> {
  const result = new Array<R>(keys.length);
  await Promise.all(
    [...groupBySlot(keys).values()].map(async (indexes) => {
      const answers = await run(indexes);
      indexes.forEach((index, i) => (result[index] = answers[i]));
    }),
  );
  return result;
}

/** Indexes of `keys` grouped by hash slot, in order within each slot. */
function groupBySlot(keys: string[]): Map<number, number[]> {
  const bySlot = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = calculateSlot(key);
    const indexes = bySlot.get(slot);
    if (indexes) indexes.push(index);
    else bySlot.set(slot, [index]);
  });
  return bySlot;
}
