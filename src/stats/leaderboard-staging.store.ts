import { Injectable } from '@nestjs/common';
import { RedisKeys, type UserMetric } from '../redis/keys.js';
import type { RedisClient } from '../redis/redis.client.js';
import { InjectRedis } from '../redis/redis.constants.js';
import { diffRemoved, type MetricCorrections } from './reconciliation-report.js';

/** Members starting with `#` are staging sentinels, never user ids. */
const isSentinel = (member: string): boolean => member.startsWith('#');
const SCAN_COUNT = 1000;

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
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  sentinel(runToken: string): string {
    return `#run:${runToken}`;
  }

  /** Fresh, empty staging boards (expiring, in case this runner dies before the swap). */
  async prepare(metrics: UserMetric[], runToken: string, ttlMs: number): Promise<void> {
    const multi = this.redis.multi();
    for (const metric of metrics) {
      const next = this.keys.leaderboardNext(metric);
      multi
        .unlink(next)
        .zAdd(next, { score: 0, value: this.sentinel(runToken) })
        .pExpire(next, ttlMs);
    }
    await multi.exec();
  }

  async extend(metrics: UserMetric[], ttlMs: number): Promise<void> {
    const multi = this.redis.multi();
    for (const metric of metrics) multi.pExpire(this.keys.leaderboardNext(metric), ttlMs);
    await multi.exec();
  }

  async readBatch(metrics: UserMetric[], userIds: number[]): Promise<LiveBatch> {
    const members = userIds.map(String);
    const pipeline = this.redis.multi();
    for (const metric of metrics) pipeline.zmScore(this.keys.leaderboard(metric), members);
    for (const id of userIds) pipeline.hGetAll(this.keys.userCounts(id));
    const replies = (await pipeline.execAsPipeline()) as unknown[];
    const scores = new Map<UserMetric, (number | null)[]>();
    metrics.forEach((metric, i) => scores.set(metric, replies[i] as (number | null)[]));
    return { scores, hashes: replies.slice(metrics.length) as Record<string, string>[] };
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
    const pipeline = this.redis.multi();
    for (const [metric, counts] of truth) {
      const entries = userIds
        .map((id) => ({ score: counts.get(id) ?? 0, value: String(id) }))
        .filter((entry) => entry.score !== 0);
      if (entries.length > 0) pipeline.zAdd(this.keys.leaderboardNext(metric), entries);
    }
    for (const id of hashUserIds) {
      const fields: Record<string, string> = {};
      for (const [metric, counts] of truth) fields[metric] = String(counts.get(id) ?? 0);
      if (Object.keys(fields).length > 0) pipeline.hSet(this.keys.userCounts(id), fields);
    }
    await pipeline.execAsPipeline();
  }

  /**
   * Counts live members that the staging board lacks (they disappear with the swap), walking the
   * live board with ZSCAN in chunks: bounded memory whatever its size.
   */
  async sweepRemoved(metric: UserMetric, into: MetricCorrections): Promise<void> {
    const next = this.keys.leaderboardNext(metric);
    for await (const chunk of this.redis.zScanIterator(this.keys.leaderboard(metric), {
      COUNT: SCAN_COUNT,
    })) {
      if (chunk.length === 0) continue;
      const nextScores = await this.redis.zmScore(
        next,
        chunk.map((entry) => entry.value),
      );
      diffRemoved(into, chunk, nextScores, isSentinel);
    }
  }

  /** Atomically replaces the live board with this run's staging board. False if it is not ours. */
  async swap(metric: UserMetric, runToken: string): Promise<boolean> {
    return (
      (await this.redis.swapLeaderboard(
        this.keys.leaderboardNext(metric),
        this.keys.leaderboard(metric),
        this.sentinel(runToken),
      )) === 1
    );
  }

  async discard(metrics: UserMetric[]): Promise<void> {
    if (metrics.length === 0) return;
    await this.redis.unlink(metrics.map((metric) => this.keys.leaderboardNext(metric)));
  }
}
