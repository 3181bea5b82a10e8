import { LRUCache } from 'lru-cache';
import type { InvalidationListener } from '../redis/invalidation-channel.js';
import { type Decoded, decodeEntry } from './cache-policy.js';

/** Invalidated keys remembered to refuse a racing fill; past this, every older fill is refused. */
const MAX_RECENT_INVALIDATIONS = 10_000;
/** Per-entry bookkeeping of the LRU, the Map and the entry object, counted into the byte cap. */
const ENTRY_OVERHEAD_BYTES = 128;
/**
 * Bytes counted per character of an encoded entry: 2 for the string (V8 strings take 1 or 2 bytes
 * a character) and 2 for its decoded copy (objects decoded from our JSON take about 1.5 to 2 times
 * the JSON's length), so the cap bounds both.
 */
const BYTES_PER_ENCODED_CHAR = 4;

/** An entry: the encoded string as Redis holds it, and its decoded value once someone asked. */
interface TierEntry {
  raw: string;
  decoded?: Decoded<unknown>;
}

export interface LocalTierSettings {
  /** LOCAL_CACHE_MAX_BYTES: 0 turns the tier off. */
  maxBytes: number;
  /** LOCAL_CACHE_TTL_MS: a bound on staleness should an invalidation be lost while synced. */
  ttlMs: number;
  /**
   * Deep-freeze decoded values (development and tests): one decoded value is shared by every
   * request that hits the entry, so code that mutated one would corrupt the others; frozen, such
   * code throws in tests instead. Off in production (freezing costs a walk of the value).
   */
  freezeDecoded?: boolean;
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
  private readonly entries: LRUCache<string, TierEntry> | undefined;
  private readonly recent = new Map<string, number>();
  /** Decoded values handed out that the tier still holds under their key (see `holds`). */
  private readonly held = new WeakSet<object>();
  private sequence = 0;
  /** Fills that began before this are refused (the channel dropped, or `recent` was trimmed). */
  private floor = 0;
  private isSynced = false;
  hits = 0;
  misses = 0;

  constructor(readonly settings: LocalTierSettings) {
    this.entries =
      settings.maxBytes > 0
        ? new LRUCache<string, TierEntry>({
            maxSize: settings.maxBytes,
            sizeCalculation: (entry, key) =>
              2 * key.length + BYTES_PER_ENCODED_CHAR * entry.raw.length + ENTRY_OVERHEAD_BYTES,
            ttl: settings.ttlMs,
            ttlAutopurge: false,
            // Deleted, replaced, evicted or expired: its value is no longer the tier's.
            dispose: (entry) => {
              const value = entry.decoded?.found ? entry.decoded.value : undefined;
              if (typeof value === 'object' && value !== null) this.held.delete(value);
            },
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
    return this.entry(key)?.raw;
  }

  /**
   * The entry decoded (cache-policy's `decodeEntry`), decoding it only on the first hit: every
   * later hit returns the same value, which callers must treat as read-only (see freezeDecoded).
   */
  getDecoded<T>(key: string): Decoded<T> {
    const entry = this.entry(key);
    if (entry === undefined) return { found: false };
    if (entry.decoded === undefined) {
      entry.decoded = decodeEntry(entry.raw);
      const value = entry.decoded.found ? entry.decoded.value : undefined;
      if (typeof value === 'object' && value !== null) this.held.add(value);
      if (this.settings.freezeDecoded && entry.decoded.found) deepFreeze(entry.decoded.value);
    }
    return entry.decoded as Decoded<T>;
  }

  private entry(key: string): TierEntry | undefined {
    if (!this.active) return undefined;
    const entry = this.entries!.get(key);
    if (entry === undefined) this.misses += 1;
    else this.hits += 1;
    return entry;
  }

  /**
   * Whether `value`, handed out by `getDecoded`, is still what the tier holds for its key: not
   * invalidated, replaced, evicted or found expired since, and the tier still answering. A memo
   * built from tier values is as current as the tier while this holds for each of them. (An entry
   * past its TTL counts as held until a read finds it expired: memos bound their own age.)
   */
  holds(value: object): boolean {
    return this.active && this.held.has(value);
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
    this.entries!.set(key, { raw });
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

  /** Forgets every entry and refuses fills begun before: the data under it was wiped (tests). */
  forgetAll(): void {
    this.clear();
  }

  private clear(): void {
    this.entries?.clear();
    this.recent.clear();
    this.sequence += 1;
    this.floor = this.sequence;
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
