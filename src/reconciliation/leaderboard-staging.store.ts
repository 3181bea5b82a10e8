import { Injectable } from '@nestjs/common';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { addRemoved, type MetricCorrections } from './reconciliation-report.js';

const SCAN_COUNT = 1000;
/** Background work: bounded by the gateway's longer budget, counted under this operation. */
const OPERATION = 'reconciliation';

/** What the live structures held for one batch of users, before the batch was rewritten. */
export interface LiveBatch {
  /** Per metric, the live board's score of each user of the batch (null = not a member). */
  scores: Map<UserMetric, (number | null)[]>;
  /** Each user's count hash ({} when missing). */
  hashes: Record<string, string>[];
}

/**
 * The Redis side of reconciliation: the `count:{user:<metric>}:next` staging boards, batch reads
 * and writes (one pipelined round trip each), the final sweep and the atomic swap. A staging
 * board holds a per-run sentinel member, so it exists (and writers dual-write into it, see the
 * leaderboardIncr script) from the start of a run, and the swap can tell its own board from one
 * left by another, crashed, run.
 */
@Injectable()
export class LeaderboardStagingStore {
  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
  ) {}

  /** Starts with `#`, which no user id does (the sweep script skips such members). */
  sentinel(runToken: string): string {
    return `#run:${runToken}`;
  }

  /** Fresh, empty staging boards (expiring, in case this runner dies before the swap). */
  async prepare(metrics: UserMetric[], runToken: string, ttlMs: number): Promise<void> {
    // One MULTI per board: each board is its own hash slot on Cluster.
    await this.redis.background(OPERATION, (redis) =>
      Promise.all(
        metrics.map((metric) => {
          const next = this.keys.leaderboardNext(metric);
          return redis
            .multi()
            .unlink(next)
            .zAdd(next, { score: 0, value: this.sentinel(runToken) })
            .pExpire(next, ttlMs)
            .exec();
        }),
      ),
    );
  }

  async extend(metrics: UserMetric[], ttlMs: number): Promise<void> {
    await this.redis.background(OPERATION, (redis) =>
      Promise.all(metrics.map((metric) => redis.pExpire(this.keys.leaderboardNext(metric), ttlMs))),
    );
  }

  async readBatch(metrics: UserMetric[], userIds: number[]): Promise<LiveBatch> {
    const members = userIds.map(String);
    // Plain commands sent together (node-redis pipelines them; on Cluster each goes to its slot's
    // node, where one MULTI/pipeline object would be bound to a single node).
    const [boards, hashes] = await this.redis.background(OPERATION, (redis) =>
      Promise.all([
        Promise.all(metrics.map((metric) => redis.zmScore(this.keys.leaderboard(metric), members))),
        Promise.all(userIds.map((id) => redis.hGetAll(this.keys.userCounts(id)))),
      ]),
    );
    const scores = new Map<UserMetric, (number | null)[]>();
    metrics.forEach((metric, i) => scores.set(metric, boards[i]));
    return { scores, hashes };
  }

  /**
   * Writes a batch's true counts: absolute scores into the staging boards (zero counts left out)
   * and absolute values into the hashes of `hashUserIds`. Call it while holding the batch's count
   * locks.
   */
  async writeBatch(
    userIds: number[],
    truth: Map<UserMetric, Map<number, number>>,
    hashUserIds: number[],
  ): Promise<void> {
    // Plain commands sent together, one per key (see readBatch).
    await this.redis.background(OPERATION, (redis) => {
      const writes: Promise<unknown>[] = [];
      for (const [metric, counts] of truth) {
        const entries = userIds
          .map((id) => ({ score: counts.get(id) ?? 0, value: String(id) }))
          .filter((entry) => entry.score !== 0);
        if (entries.length > 0) writes.push(redis.zAdd(this.keys.leaderboardNext(metric), entries));
      }
      for (const id of hashUserIds) {
        const fields: Record<string, string> = {};
        for (const [metric, counts] of truth) fields[metric] = String(counts.get(id) ?? 0);
        if (Object.keys(fields).length > 0)
          writes.push(redis.hSet(this.keys.userCounts(id), fields));
      }
      return Promise.all(writes);
    });
  }

  /**
   * Counts live members that the staging board lacks (they disappear with the swap), walking the
   * live board in ZSCAN chunks compared inside Redis (one script call per chunk): bounded memory
   * whatever its size, and only cursors and totals on the wire.
   */
  async sweepRemoved(metric: UserMetric, into: MetricCorrections): Promise<void> {
    const live = this.keys.leaderboard(metric);
    const next = this.keys.leaderboardNext(metric);
    let cursor = '0';
    do {
      const step = await this.redis.background(OPERATION, (redis) =>
        redis.leaderboardSweepStep(live, next, cursor, SCAN_COUNT),
      );
      cursor = step.cursor;
      addRemoved(into, step.missing, step.largest);
    } while (cursor !== '0');
  }

  /** Atomically replaces the live board with this run's staging board. False if it is not ours. */
  async swap(metric: UserMetric, runToken: string): Promise<boolean> {
    const swapped = await this.redis.background(OPERATION, (redis) =>
      redis.swapLeaderboard(
        this.keys.leaderboardNext(metric),
        this.keys.leaderboard(metric),
        this.keys.leaderboardBuilt(metric),
        this.keys.leaderboardRevision(metric),
        this.sentinel(runToken),
      ),
    );
    return swapped === 1;
  }

  async discard(metrics: UserMetric[]): Promise<void> {
    if (metrics.length === 0) return;
    await this.redis.background(OPERATION, (redis) =>
      Promise.all(metrics.map((metric) => redis.unlink(this.keys.leaderboardNext(metric)))),
    );
  }
}
