import { LRUCache } from 'lru-cache';
import type { InvalidationListener } from '../redis/invalidation-channel.js';

/** Invalidated keys remembered to refuse a racing fill; past this, every older fill is refused. */
const MAX_RECENT_INVALIDATIONS = 10_000;
/** Per-entry bookkeeping of the LRU and the Map, counted into the byte cap. */
const ENTRY_OVERHEAD_BYTES = 96;

export interface LocalTierSettings {
  /** LOCAL_CACHE_MAX_BYTES: 0 turns the tier off. */
  maxBytes: number;
  /** LOCAL_CACHE_TTL_MS: a bound on staleness should an invalidation be lost while synced. */
  ttlMs: number;
}

/**
 * The in-process tier in front of Redis: encoded entries (the same strings Redis holds) in an LRU
 * bounded by bytes. It answers only while the invalidation channel is synced, and it is coherent
 * by construction:
 * - every invalidation (local or from another instance) deletes the key and records the
 *   sequence number at which it happened;
 * - a fill carries the sequence number read before its Redis lookup began, and is refused when the
 *   key was invalidated since (the lookup may have read the old value) or the channel dropped since.
 */
export class LocalTier implements InvalidationListener {
  private readonly entries: LRUCache<string, string> | undefined;
  private readonly recent = new Map<string, number>();
  private sequence = 0;
  /** Fills that began before this are refused (the channel dropped, or `recent` was trimmed). */
  private floor = 0;
  private isSynced = false;
  hits = 0;
  misses = 0;

  constructor(readonly settings: LocalTierSettings) {
    this.entries =
      settings.maxBytes > 0
        ? new LRUCache<string, string>({
            maxSize: settings.maxBytes,
            sizeCalculation: (value, key) =>
              // V8 strings are 1 or 2 bytes a character: count 2, an honest upper bound.
              2 * (key.length + value.length) + ENTRY_OVERHEAD_BYTES,
            ttl: settings.ttlMs,
            ttlAutopurge: false,
          })
        : undefined;
  }

  /** Whether reads and fills go through the tier now. */
  get active(): boolean {
    return this.entries !== undefined && this.isSynced;
  }

  get bytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** The encoded entry, or undefined (absent, expired, or the tier is off). */
  get(key: string): string | undefined {
    if (!this.active) return undefined;
    const raw = this.entries!.get(key);
    if (raw === undefined) this.misses += 1;
    else this.hits += 1;
    return raw;
  }

  /** Call before the Redis lookup whose result may be stored with `set`. */
  begin(): number {
    return this.sequence;
  }

  /** Stores what a lookup that began at `began` found, unless the key changed since. */
  set(key: string, raw: string, began: number): void {
    if (!this.active || began < this.floor) return;
    const invalidatedAt = this.recent.get(key);
    if (invalidatedAt !== undefined && invalidatedAt > began) return;
    this.entries!.set(key, raw);
  }

  invalidated(keys: string[]): void {
    this.sequence += 1;
    for (const key of keys) {
      this.entries?.delete(key);
      this.recent.set(key, this.sequence);
    }
    if (this.recent.size > MAX_RECENT_INVALIDATIONS) {
      this.recent.clear();
      this.floor = this.sequence;
    }
  }

  dropped(): void {
    this.isSynced = false;
    this.clear();
  }

  synced(): void {
    this.clear();
    this.isSynced = true;
  }

  private clear(): void {
    this.entries?.clear();
    this.recent.clear();
    this.sequence += 1;
    this.floor = this.sequence;
  }
}
