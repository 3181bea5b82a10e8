import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CacheAsideService } from '../cache/cache-aside.service.js';
import { CacheTagsService } from '../cache/cache-tags.service.js';
import { UnconfirmedInvalidations } from '../cache/unconfirmed-invalidations.js';
import { UserCountersService } from '../counters/user-counters.service.js';
import { inBackground } from '../database/query-origin.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type JobDispatcher, OutboxJobs } from './outbox-jobs.service.js';
import { OutboxRepository } from './outbox.repository.js';
import { effects, withJobIds, type WriteEffects } from './write-effects.js';

/** How long confirmed rows gather before one DELETE removes them all. */
const CONFIRM_BATCH_MS = 10;

/** A write's recorded effects, to hand to `complete` once the transaction committed. */
export interface RecordedEffects {
  id: string;
  effects: WriteEffects;
}

/**
 * Durable cache invalidation (a transactional outbox). A write records its Redis side effects in
 * `cache_outbox` inside its own transaction, so they commit or roll back with the row change.
 * After the commit the writer applies them itself (one pipelined Redis round trip) and confirms:
 * confirmed rows are deleted in batches, off the request path. A row the writer could not confirm
 * (Redis unreachable, or the process died) is applied by the relay of any instance
 * (OutboxRelay): at once when the writer notifies, otherwise after a grace period.
 */
@Injectable()
export class OutboxService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxService.name);
  private confirmed: string[] = [];
  private deleting: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly cache: CacheAsideService,
    private readonly tags: CacheTagsService,
    private readonly counters: UserCountersService,
    private readonly metrics: MetricsService,
    private readonly unconfirmed: UnconfirmedInvalidations,
    private readonly queueJobs: OutboxJobs,
  ) {}

  /** The name under which a pending row holds its keys in UnconfirmedInvalidations. */
  static holder(id: string): string {
    return `outbox:${id}`;
  }

  /** The module that owns a job kind registers how to enqueue it (at module init). */
  registerJobDispatcher(kind: string, dispatch: JobDispatcher): void {
    this.queueJobs.register(kind, dispatch);
  }

  /** Records `e` on the caller's transaction (the one that changes the rows). */
  async record(tx: EntityManager, e: Partial<WriteEffects>): Promise<RecordedEffects> {
    const normalized = effects(e);
    return { id: await this.outbox.insert(tx, normalized), effects: normalized };
  }

  /**
   * Runs `work` in a transaction (on `manager`'s connection when given) and records the effects it
   * returns in that same transaction; `effects: null` means nothing changed (no row recorded).
   */
  async transaction<T>(
    work: (tx: EntityManager) => Promise<{ result: T; effects: Partial<WriteEffects> | null }>,
    manager: EntityManager = this.db.manager,
  ): Promise<{ result: T; recorded: RecordedEffects | null }> {
    return manager.transaction(async (tx) => {
      const { result, effects: e } = await work(tx);
      return { result, recorded: e ? await this.record(tx, e) : null };
    });
  }

  /** `transaction`, then `complete` at once: for writes with cache effects only. */
  async write<T>(
    work: (tx: EntityManager) => Promise<{ result: T; effects: Partial<WriteEffects> | null }>,
  ): Promise<T> {
    const { result, recorded } = await this.transaction(work);
    await this.complete(recorded);
    return result;
  }

  /**
   * After the commit: deletes the cache keys and bumps the tags (one round trip). When that worked
   * and the writer says its own derived updates (`derivedApplied`) did too, the row is confirmed;
   * otherwise every instance's relay is woken to apply it. Never throws.
   */
  async complete(recorded: RecordedEffects | null, derivedApplied = true): Promise<void> {
    if (!recorded) return;
    const { cacheKeys, tags, jobs } = recorded.effects;
    const [invalidated, bumped, enqueued] = await Promise.all([
      this.cache.invalidate(...cacheKeys),
      this.tags.bump(...tags),
      this.queueJobs.dispatch(withJobIds(recorded.id, jobs)),
    ]);
    if (invalidated && bumped && enqueued && derivedApplied) {
      this.confirm(recorded.id);
      return;
    }
    this.metrics.countRedisError('outbox.apply');
    // Before answering the writer: its next read (on this instance) must not find what the
    // invalidation should have removed, if the master that took it dies before replicating it.
    // Held until a relay applied and deleted the row (OutboxRelay releases it).
    this.unconfirmed.hold(OutboxService.holder(recorded.id), cacheKeys);
    await this.outbox.notify([recorded.id]).catch((error: unknown) => {
      // The relay's safety poll picks the row up after the grace period.
      this.logger.warn(`could not notify the outbox relay: ${String(error)}`);
    });
  }

  /**
   * What the relay does for rows whose writer did not confirm: delete cache keys and derived
   * structures, bump tags, recount users from Postgres (on the relay's own transaction `tx`: a
   * second connection could wait, unseen by Postgres, behind a lock queued behind `tx`). True when
   * Redis confirmed all of it.
   */
  async applyAsRelay(e: WriteEffects, tx: EntityManager): Promise<boolean> {
    const [invalidated, bumped, enqueued] = await Promise.all([
      this.cache.invalidate(...e.cacheKeys, ...e.derivedKeys),
      this.tags.bump(...e.tags),
      this.queueJobs.dispatch(e.jobs, true),
    ]);
    if (!invalidated || !bumped || !enqueued) return false;
    return this.counters.recount(e.recountUsers, tx);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves once every confirmed row queued so far is deleted (shutdown, tests counting SQL). */
  async settled(): Promise<void> {
    while (this.deleting || this.confirmed.length > 0) {
      this.flushConfirmations();
      await this.deleting;
    }
  }

  /** Queues the row for deletion: many writers' rows go in one DELETE, off their request path. */
  private confirm(id: string): void {
    this.confirmed.push(id);
    if (this.confirmed.length === 1 && !this.deleting)
      setTimeout(() => this.flushConfirmations(), CONFIRM_BATCH_MS).unref();
  }

  private flushConfirmations(): void {
    if (this.deleting || this.confirmed.length === 0) return;
    const ids = this.confirmed;
    this.confirmed = [];
    // Started from a writer's request (or its timer): background work, not the request's SQL.
    this.deleting = inBackground(() => this.outbox.deleteConfirmed(ids))
      .catch((error: unknown) => {
        // Left behind, the rows are applied once more by a relay: harmless (idempotent).
        this.logger.warn(`could not delete ${ids.length} confirmed outbox rows: ${String(error)}`);
      })
      .finally(() => {
        this.deleting = undefined;
        if (this.confirmed.length > 0) this.flushConfirmations();
      });
  }
}
