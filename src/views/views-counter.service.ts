import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { Env } from '../config/env.schema.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { AdvisoryLocks } from '../database/advisory-locks.js';
import { JobSchedulers } from '../queue/job-schedulers.js';
import { defaultJobOptions } from '../queue/queue.module.js';
import { RedisKeys } from '../redis/keys.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { RedisLocks } from '../redis/redis-lock.js';
import { articleCacheKeys } from '../articles/article-cache-keys.js';
import { VIEWS_FLUSH_JOB, VIEWS_QUEUE } from './views-queue.js';
import { ViewsRepository } from './views.repository.js';

const FLUSH_CHUNK = 1000;
const FLUSH_LOCK = 'views-flush';
/**
 * A flush takes milliseconds and renews its lock every third of this while it runs. Short because
 * a lock key can outlive its holder: after a Sentinel failover the demoted master acknowledged a
 * flush's release and never replicated it, and every flush then skipped until the key expired
 * (60 s before; a failover drill's views waited for it).
 */
const FLUSH_LOCK_TTL_MS = 10_000;

/**
 * Article views, write-behind: each read is one HINCRBY on a Redis hash of pending deltas (in
 * the same command as reading the article's pending views back: `count`); a
 * repeatable job (BullMQ scheduler: one runner at a time across instances, retried with backoff;
 * the Redis lock stays as a safety net) renames the hash aside and adds the deltas to Postgres in
 * batches. A Redis restart loses at most one interval of views. A crash in
 * the middle of a batch can apply that batch twice on the next flush (at-least-once).
 */
@Injectable()
export class ViewsCounter implements OnModuleInit {
  constructor(
    private readonly redis: RedisGateway,
    private readonly redisLocks: RedisLocks,
    private readonly keys: RedisKeys,
    private readonly articles: ViewsRepository,
    private readonly counters: UserCountersService,
    private readonly locks: AdvisoryLocks,
    private readonly cache: CacheAsideService,
    private readonly schedulers: JobSchedulers,
    @InjectQueue(VIEWS_QUEUE) private readonly queue: Queue,
    private readonly env: Env,
  ) {}

  onModuleInit(): void {
    const every = this.env.VIEWS_FLUSH_INTERVAL_MS;
    this.schedulers.register({
      queue: this.queue,
      id: 'views-flush',
      name: VIEWS_FLUSH_JOB,
      // 0 turns the flush off: the scheduler is removed (another instance may have set it).
      repeat: every > 0 ? { every } : undefined,
      opts: defaultJobOptions(this.env),
    });
  }

  /**
   * Counts one view of a read and answers the article's views not in Postgres yet, this one
   * included, in one Redis command. Never fails the read: with Redis unavailable the view is lost
   * (counted by the gateway) and 0 is answered, the views then being those of the last flush.
   */
  async count(articleId: number): Promise<number> {
    try {
      return await this.redis.run('views.count', (redis) =>
        redis.countView(this.keys.pendingViews(), this.keys.flushingViews(), String(articleId)),
      );
    } catch {
      return 0;
    }
  }

  /** Views counted in Redis but not yet in Postgres. */
  async pending(articleIds: number[]): Promise<number[]> {
    if (articleIds.length === 0) return [];
    try {
      const fields = articleIds.map(String);
      const [pending, flushing] = await this.redis.run('views.pending', (redis) =>
        Promise.all([
          redis.hmGet(this.keys.pendingViews(), fields),
          redis.hmGet(this.keys.flushingViews(), fields),
        ]),
      );
      return articleIds.map((_, i) => Number(pending[i] ?? 0) + Number(flushing[i] ?? 0));
    } catch {
      return articleIds.map(() => 0);
    }
  }

  /** Moves pending views to Postgres. Returns the number of views flushed. */
  async flush(): Promise<number> {
    const lock = await this.redisLocks.tryAcquire(FLUSH_LOCK, { ttlMs: FLUSH_LOCK_TTL_MS });
    if (!lock) return 0;
    try {
      const flushing = this.keys.flushingViews();
      // A batch left over by a crashed flush goes first; otherwise take the current one.
      const leftOver = await this.redis.background('views.flush', (redis) =>
        redis.exists(flushing),
      );
      if (!leftOver) {
        const taken = await this.redis.background('views.flush', (redis) =>
          redis.rename(this.keys.pendingViews(), flushing).then(
            () => true,
            (error: unknown) => {
              // Nothing pending is the common case, not a failure.
              if (String(error).includes('no such key')) return false;
              throw error;
            },
          ),
        );
        if (!taken) return 0;
      }
      let flushed = 0;
      let cursor = '0';
      do {
        const reply = await this.redis.background('views.flush', (redis) =>
          redis.hScan(flushing, cursor, { COUNT: FLUSH_CHUNK }),
        );
        cursor = String(reply.cursor);
        if (reply.entries.length) flushed += await this.flushChunk(reply.entries);
      } while (cursor !== '0' && !lock.lost);
      if (!lock.lost) await this.redis.background('views.flush', (redis) => redis.del(flushing));
      return flushed;
    } finally {
      await lock.release().catch(() => undefined);
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
    const cachedCopies = updated.flatMap((row) => articleCacheKeys(this.keys, row.id));
    await this.redis
      .background('views.bump', (redis) =>
        Promise.all(
          cachedCopies.map((key, i) =>
            redis.bumpViewsCount(key, RedisKeys.leaseOf(key), updated[i].delta),
          ),
        ),
      )
      // The in-process copies do not carry the bump: every instance drops them.
      .then(() => this.cache.changedInPlace(...cachedCopies))
      // Counted and logged by the gateway: drop the cached copies instead.
      .catch(() => this.cache.invalidate(...cachedCopies));
    await this.redis.background('views.flush', (redis) =>
      redis.hDel(
        this.keys.flushingViews(),
        entries.map((entry) => entry.field),
      ),
    );
    return updated.reduce((sum, row) => sum + row.delta, 0);
  }
}
