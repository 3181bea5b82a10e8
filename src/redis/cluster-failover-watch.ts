import type { ClusterClient } from './redis-node-clients.js';

/** How often the Cluster client's view of its masters is compared, to notice a failover. */
const CLUSTER_MASTERS_CHECK_MS = 500;
/** At most one slot-map refresh per this interval while a Cluster node fails. */
const CLUSTER_REDISCOVER_MS = 1000;

/**
 * node-redis' Cluster client has no failover event: it re-reads the slot map when a node fails
 * or answers MOVED, building a new `masters` array each time. `notice` compares that array by
 * identity (free), and only when it is a new one, the addresses in it. The gateway calls it
 * before every command, so the failover listeners run (synchronously) before any command of this
 * process reaches a promoted replica; a timer covers idle periods.
 */
export class ClusterFailoverWatch {
  private timer: NodeJS.Timeout | undefined;
  /** Per Cluster client: the masters array node-redis last built, and its addresses. */
  private readonly knownMasters = new Map<ClusterClient, { list: unknown; addresses: string }>();
  private lastRediscover = 0;

  constructor(
    private readonly clients: ClusterClient[],
    /** A seed node: a live node's CLUSTER SLOTS names the promoted replica. */
    private readonly seedUrl: string,
    private readonly failedOver: (description: string) => void,
  ) {}

  start(): void {
    this.notice();
    this.timer = setInterval(() => this.notice(), CLUSTER_MASTERS_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reports a failover if a client's masters changed since last asked (see the class comment). */
  notice(): void {
    for (const client of this.clients) {
      const known = this.knownMasters.get(client);
      const list = client.masters;
      if (known?.list === list) continue;
      const addresses = list
        .map((master) => `${master.host}:${master.port}`)
        .sort()
        .join(',');
      this.knownMasters.set(client, { list, addresses });
      // The first look, or an empty map (a discovery that failed midway): nothing to compare.
      if (!known || known.addresses === addresses || addresses === '') continue;
      this.failedOver(`masters now ${addresses}`);
    }
  }

  /**
   * node-redis re-reads the slot map on MOVED only; a dead master answers nothing, so its slots
   * would stay pointed at it. A failing node makes us re-read the map (at most once a second).
   */
  rediscover(): void {
    const now = Date.now();
    if (now - this.lastRediscover < CLUSTER_REDISCOVER_MS) return;
    this.lastRediscover = now;
    const seed = { options: { url: this.seedUrl } } as never;
    for (const client of this.clients)
      void client._slots.rediscover(seed).then(
        () => this.notice(),
        () => undefined,
      );
  }
}
