import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { UnconfirmedInvalidations } from '../cache/unconfirmed-invalidations.js';
import { Env } from '../config/env.schema.js';
import { PostgresNotifications } from '../database/postgres-notifications.js';
import { inBackground } from '../database/query-origin.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { OUTBOX_CHANNEL, OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';
import { mergeEffects } from './write-effects.js';

const CLAIM_BATCH = 500;
const RETRY_MS = 200;

/**
 * Applies outbox rows their writer could not confirm, on every instance:
 * - woken at once by NOTIFY (a writer that failed to reach Redis notifies its row ids), on a
 *   the instance's Postgres connection that LISTENs (PostgresNotifications);
 * - when Redis answers again (the gateway's `recovered` event: reconnect or breaker closing);
 * - by a slow safety poll (OUTBOX_RELAY_INTERVAL_MS) for rows older than OUTBOX_GRACE_MS, whose
 *   writer died between its commit and its confirmation (no notification was ever sent).
 * A pass claims rows with FOR UPDATE SKIP LOCKED, so relays on several instances never apply the
 * same row at once, applies the union of their effects, and deletes them in the same transaction,
 * which rolls back (rows kept) unless Redis confirmed everything. A pass never fights a healthy
 * writer: fresh rows are taken only when their ids were notified.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  /** Notified row ids not applied yet (by us or another relay). */
  private readonly wanted = new Set<string>();
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly env: Env,
    @InjectDataSource() private readonly db: DataSource,
    private readonly redis: RedisGateway,
    private readonly outbox: OutboxRepository,
    private readonly service: OutboxService,
    private readonly metrics: MetricsService,
    private readonly unconfirmed: UnconfirmedInvalidations,
    private readonly notifications: PostgresNotifications,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.OUTBOX_RELAY_INTERVAL_MS === 0) return;
    this.redis.onRecovered(() => void this.wake());
    this.pollTimer = setInterval(() => void this.wake(), this.env.OUTBOX_RELAY_INTERVAL_MS);
    this.pollTimer.unref();
    this.notifications.subscribe(OUTBOX_CHANNEL, {
      notified: (payload) => {
        if (this.stopped) return; // shutting down: the connection outlives this relay briefly
        const ids = payload.split(',').filter((id) => id !== '');
        for (const id of ids) this.wanted.add(id);
        void inBackground(() => this.holdKeysOf(ids)).finally(() => void this.wake());
      },
      // Notifications sent while nothing listened are lost: catch up with one pass.
      listening: () => void this.wake(),
    });
    void this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    await this.draining;
  }

  /** Runs a pass now (or right after the one in progress). Resolves when the pass is done. */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = inBackground(() => this.drain()).finally(() => {
      this.draining = undefined;
      if (this.drainAgain) {
        this.drainAgain = false;
        void this.wake();
      }
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    // Without Redis a pass would only hold rows that another instance could apply.
    if (!this.redis.usable) return;
    try {
      for (;;) {
        const applied = await this.applyBatch();
        if (applied < CLAIM_BATCH) break;
      }
    } catch (error) {
      this.metrics.countRedisError('outbox.relay');
      this.logger.warn(`outbox relay pass failed, rows kept for the next one: ${String(error)}`);
    }
    await this.retryWantedLater();
  }

  /** One transaction: claim, apply, delete. Throws (rolling back) unless Redis confirmed all. */
  private async applyBatch(): Promise<number> {
    const applied = await this.db.transaction(async (tx) => {
      const rows = await this.outbox.claim(
        tx,
        [...this.wanted],
        this.env.OUTBOX_GRACE_MS,
        CLAIM_BATCH,
      );
      if (rows.length === 0) return [];
      if (!(await this.service.applyAsRelay(mergeEffects(rows), tx))) {
        throw new Error(`Redis did not confirm the effects of ${rows.length} outbox rows`);
      }
      await this.outbox.deleteMany(
        rows.map((row) => row.id),
        tx,
      );
      for (const row of rows) this.wanted.delete(row.id);
      this.metrics.outboxRelayed.inc(rows.length);
      this.logger.log(`applied ${rows.length} outbox rows their writers could not confirm`);
      return rows.map((row) => row.id);
    });
    // Committed: those invalidations are confirmed, their keys may be cached again here.
    for (const id of applied) this.unconfirmed.release(OutboxService.holder(id));
    return applied.length;
  }

  /**
   * Notified rows may be held by another instance's relay, which may fail (its Redis may be the
   * one that is down): keep trying them until they are gone.
   */
  private async retryWantedLater(): Promise<void> {
    if (this.wanted.size === 0 || this.stopped) return;
    const pending = new Set(await this.outbox.stillPending([...this.wanted]).catch(() => []));
    for (const id of this.wanted)
      if (!pending.has(id)) {
        // Applied by another instance's relay.
        this.wanted.delete(id);
        this.unconfirmed.release(OutboxService.holder(id));
      }
    if (this.wanted.size === 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.wake(), RETRY_MS);
    this.retryTimer.unref();
  }

  /**
   * Another instance could not confirm these rows' invalidations: their keys are read from
   * Postgres here too until the rows are gone (the writer's own instance held them already).
   * Best effort: a read arriving before this notification does not know yet.
   */
  private async holdKeysOf(ids: string[]): Promise<void> {
    const unknown = ids.filter((id) => !this.unconfirmed.isHolding(OutboxService.holder(id)));
    const keys = await this.outbox
      .pendingCacheKeys(unknown)
      .catch(() => new Map<string, string[]>());
    for (const [id, cacheKeys] of keys)
      // Not wanted any more: a relay pass applied it while we asked.
      if (this.wanted.has(id)) this.unconfirmed.hold(OutboxService.holder(id), cacheKeys);
  }
}
