import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { UserCountersService } from '../counters/user-counters.service.js';
import type { AuthorTotals } from './article.model.js';
import { ArticlesRepository } from './articles.repository.js';

/** Registers the per-user metrics that come from articles (`articles`, `likes`, `views`). */
@Injectable()
export class ArticleMetrics implements OnModuleInit {
  private readonly lastTotals = new WeakMap<
    EntityManager,
    { key: string; totals: Promise<Map<number, AuthorTotals>> }
  >();

  constructor(
    private readonly articles: ArticlesRepository,
    private readonly counters: UserCountersService,
  ) {}

  onModuleInit(): void {
    for (const metric of ['articles', 'likes', 'views'] as const) {
      this.counters.register(
        metric,
        async (id, manager) => (await this.totalsOnce([id], manager)).get(id)?.[metric] ?? 0,
        async (ids, manager) => {
          const totals = await this.totalsOnce(ids, manager);
          return new Map([...totals].map(([id, t]) => [id, t[metric]]));
        },
      );
    }
  }

  /**
   * The three article metrics come from one GROUP BY. A hash fill or a reconciliation batch asks
   * for them one metric at a time on one lock-holding connection, so the query result is kept
   * for that connection (and the same users) instead of running the query three times.
   */
  private totalsOnce(ids: number[], manager: EntityManager): Promise<Map<number, AuthorTotals>> {
    const key = ids.join(',');
    const last = this.lastTotals.get(manager);
    if (last?.key === key) return last.totals;
    const totals = this.articles.authorTotalsMany(ids, manager);
    this.lastTotals.set(manager, { key, totals });
    return totals;
  }
}
