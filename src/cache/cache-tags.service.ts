import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { InvalidationChannel } from '../redis/invalidation-channel.js';
import { RedisGateway } from '../redis/redis-gateway.js';
import { LocalTier } from './local-tier.js';
import { RecentWrites } from './recent-writes.js';

/**
 * Tag-based invalidation by generations: an entry's key embeds the current generation of each tag
 * it depends on; bumping a tag (INCR) makes every entry built under the old generation unreachable
 * at once, and the orphans expire by TTL. One INCR replaces deleting an unknown number of keys.
 * Generations are kept in the in-process tier too (a cached page then costs no Redis call at all);
 * a bump publishes the tag's key on the invalidation channel like any other invalidation.
 * A bump the old master acknowledged but never replicated would bring the old generation back
 * after a failover: the recent bumps are applied again then (an extra bump only costs misses).
 */
@Injectable()
export class CacheTagsService {
  private readonly recentBumps: RecentWrites;

  constructor(
    private readonly redis: RedisGateway,
    private readonly keys: RedisKeys,
    private readonly local: LocalTier,
    private readonly channel: InvalidationChannel,
    env: Env,
  ) {
    this.recentBumps = new RecentWrites(env.REDIS_FAILOVER_REPLAY_SECONDS * 1000);
    this.redis.onFailover(() => void this.bump(...this.recentBumps.since()));
  }

  /** "tag=generation" for each tag, in one round trip; null when Redis cannot say (skip caching). */
  async versionOf(tags: string[]): Promise<string | null> {
    if (tags.length === 0) return '';
    const keys = tags.map((tag) => this.keys.cacheTag(tag));
    const known = keys.map((key) => this.local.get(key));
    if (known.every((version) => version !== undefined)) return this.format(tags, known);
    const began = this.local.begin();
    const fromReplica = this.redis.readsGoToReplica;
    try {
      const versions = await this.redis.read('cache-tags.get', (redis) =>
        Promise.all(keys.map((key) => redis.get(key))),
      );
      const found = versions.map((version) => version ?? '0');
      if (!fromReplica) keys.forEach((key, i) => this.local.set(key, found[i], began));
      return this.format(tags, found);
    } catch {
      return null;
    }
  }

  /**
   * Invalidates everything cached under these tags. Call after the write committed, through the
   * outbox (which retries until Redis confirms). True when Redis confirmed; never throws (a
   * failure is counted and logged by the gateway).
   */
  async bump(...tags: string[]): Promise<boolean> {
    if (tags.length === 0) return true;
    this.recentBumps.record(tags);
    const keys = tags.map((tag) => this.keys.cacheTag(tag));
    this.local.invalidated(keys);
    // INCR before PUBLISH on one connection: an instance that hears the bump finds it applied.
    return Promise.all([
      this.redis.run('cache-tags.bump', (redis) => Promise.all(keys.map((key) => redis.incr(key)))),
      this.channel.publish(keys),
    ]).then(
      () => true,
      () => false,
    );
  }

  private format(tags: string[], versions: (string | undefined)[]): string {
    return tags.map((tag, i) => `${tag}=${versions[i]}`).join(',');
  }
}
