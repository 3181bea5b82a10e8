/** How long a master seen without any replica skips WAIT (which would only run out its time). */
const REPLICA_LESS_MEMO_MS = 1000;

/**
 * WAIT 1 on one master; when no replica acknowledged, ROLE tells whether it has any replica at
 * all. A master without replicas (a promoted replica whose old master is gone) has nothing a
 * failover could promote, so its own acknowledgement is final: WAIT there would only run out
 * its time on every write, and the outbox would retry its rows forever. Remembered for a
 * second, so such a shard costs one ROLE per second instead of a WAIT timeout per write.
 */
export class ReplicaAcknowledgement {
  /** Masters (by address) seen with no replica at all, until when. */
  private readonly replicaLessUntil = new Map<string, number>();

  async on(
    address: string,
    timeoutMs: number,
    send: (command: string[]) => Promise<unknown>,
  ): Promise<boolean> {
    if ((this.replicaLessUntil.get(address) ?? 0) > Date.now()) return true;
    const acked = (await send(['WAIT', '1', String(timeoutMs)])) as number;
    if (acked >= 1) return true;
    const role = (await send(['ROLE'])) as [string, number, unknown[]];
    if (role[0] !== 'master' || role[2].length > 0) return false;
    this.replicaLessUntil.set(address, Date.now() + REPLICA_LESS_MEMO_MS);
    return true;
  }
}
