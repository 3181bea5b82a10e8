import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { cachedResponseKey } from '../cache/cached.interceptor.js';
import { Env } from '../config/env.schema.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { RedisClient } from '../redis/redis.client.js';
import { InjectRedis } from '../redis/redis.constants.js';
import { ArticlesRepository } from './articles.repository.js';
import { withTimeout } from '../redis/with-timeout.js';

const FLUSH_CHUNK = 1000;

/**
 * Article views, write-behind: each read is one HINCRBY on a Redis hash of pending deltas; a
 * scheduled flush (one instance at a time, under a Redis lock) renames the hash aside and adds the
 * deltas to Postgres in batches. A Redis restart loses at most one interval of views. A crash in
 * the middle of a batch can apply that batch twice on the next flush (at-least-once).
 */
@Injectable()
export class ViewsCounter implements OnModuleInit {
  private readonly logger = new Logger(ViewsCounter.name);

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly articles: ArticlesRepository,
    private readonly counters: UserCountersService,
    private readonly locks: AdvisoryLocks,
    private readonly cache: CacheAsideService,
    private readonly metrics: MetricsService,
    private readonly scheduler: SchedulerRegistry,
    private readonly env: Env,
  ) {}

  onModuleInit(): void {
    if (this.env.VIEWS_FLUSH_INTERVAL_MS > 0) {
      const timer = setInterval(
        () => void this.flush().catch(() => undefined),
        this.env.VIEWS_FLUSH_INTERVAL_MS,
      );
      this.scheduler.addInterval('views-flush', timer);
    }
  }

  /** Counts one view; never fails the read. */
  record(articleId: number): void {
    this.redis.hIncrBy(this.keys.pendingViews(), String(articleId), 1).catch((error: unknown) => {
      this.metrics.countRedisError('views.record');
      this.logger.debug?.(`view not counted: ${String(error)}`);
    });
  }

  /** Views counted in Redis but not yet in Postgres. */
  async pending(articleIds: number[]): Promise<number[]> {
    if (articleIds.length === 0) return [];
    try {
      const fields = articleIds.map(String);
      const [pending, flushing] = await withTimeout(
        Promise.all([
          this.redis.hmGet(this.keys.pendingViews(), fields),
          this.redis.hmGet(this.keys.flushingViews(), fields),
        ]),
        this.env.REDIS_COMMAND_TIMEOUT_MS,
      );
      return articleIds.map((_, i) => Number(pending[i] ?? 0) + Number(flushing[i] ?? 0));
    } catch {
      this.metrics.countRedisError('views.pending');
      return articleIds.map(() => 0);
    }
  }

  /** Moves pending views to Postgres. Returns the number of views flushed. */
  async flush(): Promise<number> {
    const lockKey = this.keys.lock('views-flush');
    const token = randomUUID();
    if ((await this.redis.set(lockKey, token, { NX: true, PX: 60_000 })) !== 'OK') return 0;
    try {
      const flushing = this.keys.flushingViews();
      // A batch left over by a crashed flush goes first; otherwise take the current one.
      if (!(await this.redis.exists(flushing))) {
        try {
          await this.redis.rename(this.keys.pendingViews(), flushing);
        } catch {
          return 0; // nothing pending
        }
      }
      let flushed = 0;
      let cursor = '0';
      do {
        const reply = await this.redis.hScan(flushing, cursor, { COUNT: FLUSH_CHUNK });
        cursor = String(reply.cursor);
        if (reply.entries.length) flushed += await this.flushChunk(reply.entries);
      } while (cursor !== '0');
      await this.redis.del(flushing);
      return flushed;
    } finally {
      await this.redis.releaseLock(lockKey, token).catch(() => 0);
    }
  }

  private async flushChunk(entries: { field: string; value: string }[]): Promise<number> {
    const ids = entries.map((entry) => Number(entry.field));
    const deltas = entries.map((entry) => Number(entry.value));
    const authorIds = await this.articles.authorsOf(ids);
    const updated = await this.locks.run(
      authorIds.map((id) => this.counters.writerLock(id)),
      async (manager) => {
        const rows = await this.articles.addViews(manager, ids, deltas);
        const perAuthor = new Map<number, number>();
        for (const row of rows)
          perAuthor.set(row.authorId, (perAuthor.get(row.authorId) ?? 0) + row.delta);
        await Promise.all(
          [...perAuthor].map(([author, views]) => this.counters.apply(author, { views })),
        );
        return rows;
      },
    );
    // The cached articles carry the flushed total: move the delta into them (pending no longer
    // holds it). Bumped in place, not deleted, so a flush never causes a wave of cache misses.
    await Promise.all(
      updated.flatMap((row) =>
        [this.keys.article(row.id), cachedResponseKey(this.keys, 'article', row.slug)].map((key) =>
          this.redis.bumpViewsCount(key, RedisKeys.leaseOf(key), row.delta),
        ),
      ),
    ).catch(async (error: unknown) => {
      this.metrics.countRedisError('views.bump');
      this.logger.warn(`could not update cached view counts, dropping them: ${String(error)}`);
      await this.cache.invalidate(
        ...updated.flatMap((row) => [
          this.keys.article(row.id),
          cachedResponseKey(this.keys, 'article', row.slug),
        ]),
      );
    });
    await this.redis.hDel(
      this.keys.flushingViews(),
      entries.map((entry) => entry.field),
    );
    return updated.reduce((sum, row) => sum + row.delta, 0);
  }
}
