import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisKeys } from '../redis/keys.js';
import type { RedisClient } from '../redis/redis.client.js';
import { InjectRedis } from '../redis/redis.constants.js';

/**
 * Tag-based invalidation by generations: an entry's key embeds the current generation of each tag
 * it depends on; bumping a tag (INCR) makes every entry built under the old generation unreachable
 * at once, and the orphans expire by TTL. One INCR replaces deleting an unknown number of keys.
 */
@Injectable()
export class CacheTagsService {
  private readonly logger = new Logger(CacheTagsService.name);

  constructor(
    @InjectRedis() private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly metrics: MetricsService,
  ) {}

  /** "tag=generation" for each tag, in one round trip; null when Redis cannot say (skip caching). */
  async versionOf(tags: string[]): Promise<string | null> {
    if (tags.length === 0) return '';
    try {
      const versions = await Promise.all(
        tags.map((tag) => this.redis.get(this.keys.cacheTag(tag))),
      );
      return tags.map((tag, i) => `${tag}=${versions[i] ?? 0}`).join(',');
    } catch (error) {
      this.metrics.countRedisError('cache-tags.get');
      this.logger.warn(`cache tag lookup failed: ${String(error)}`);
      return null;
    }
  }

  /** Invalidates everything cached under these tags. Call after the write committed. */
  async bump(...tags: string[]): Promise<void> {
    try {
      await Promise.all(tags.map((tag) => this.redis.incr(this.keys.cacheTag(tag))));
    } catch (error) {
      // Entries under the old generation may be served until their TTL; count it loudly.
      this.metrics.countRedisError('cache-tags.bump');
      this.logger.warn(`cache tag bump failed (${tags.join(', ')}): ${String(error)}`);
    }
  }
}
