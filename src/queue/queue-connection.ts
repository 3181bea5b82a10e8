import {
  CONNECTION_CLOSED_ERROR_MSG,
  createIORedisClient,
  RedisConnection as BullConnection,
  type RedisOptions as BullRedisOptions,
} from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTopology } from '../redis/redis-topology.js';

/**
 * BullMQ's connections, built from the app's Redis topology (standalone URL, Sentinel, Cluster).
 *
 * Why ioredis here when the app speaks node-redis: BullMQ 6 can wrap a node-redis client, but its
 * adapter handles standalone clients only (no Cluster, no Sentinel client). ioredis is BullMQ's
 * reference driver and does all three, so the queue connections (and nothing else) use it.
 *
 * Why a client factory rather than connection options: BullMQ builds ioredis clients from options
 * with `require`, which does not exist in this ES-module app. With `RedisConnection.clientFactory`
 * BullMQ still creates (and closes) every connection itself: one per Queue, two per Worker (one
 * for its blocking wait). The factory is global to BullMQ, so what differs between apps in one
 * process (tests boot several) travels in the connection options it receives.
 */
export interface QueueConnectionOptions extends BullRedisOptions {
  /** Which Redis to connect to: read by the factory below. */
  conduitTopology: RedisTopology;
}

/** What the app passes as BullMQ's `connection`; see installQueueClientFactory. */
export function queueConnectionOptions(
  topology: RedisTopology,
  connectTimeoutMs: number,
): QueueConnectionOptions {
  return {
    conduitTopology: topology,
    connectTimeout: connectTimeoutMs,
    // Reconnect forever with a backoff capped at 5 s (as the app's own clients do).
    retryStrategy: (times: number) => Math.min(100 * 2 ** times, 5000),
  };
}

/** ioredis options for one URL: redis://[user[:password]@]host:port[/db], rediss:// for TLS. */
export function ioredisOptionsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace('/', '');
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

function isQueueConnectionOptions(opts: BullRedisOptions): opts is QueueConnectionOptions {
  return 'conduitTopology' in opts;
}

/**
 * A producer connection (a Queue: adds jobs, reads counts) fails fast while Redis is away, so a
 * request that enqueues never waits on it; BullMQ marks the worker's connections, which must
 * retry forever, with `maxRetriesPerRequest: null`.
 */
function roleOptions(opts: BullRedisOptions): RedisOptions {
  if (opts.maxRetriesPerRequest === null) return { maxRetriesPerRequest: null };
  return { maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

/** What ioredis rejects a command with while disconnected and the offline queue is off. */
const OFFLINE_REJECTIONS = new Set([
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Cluster isn't ready and enableOfflineQueue options is false",
]);

/**
 * BullMQ gives a Worker's command connection the same (fail-fast) options as a Queue's, and does
 * not count ioredis' offline rejection as a connection error: a worker then retries at once, in a
 * promise loop that never yields to the event loop, so the client never reconnects and the
 * process spins at 100% CPU (seen in CI while a test restarted Redis). Rejecting with BullMQ's own
 * "connection closed" message makes the worker wait its `runRetryDelay` instead, as it does for
 * any lost connection.
 */
function asConnectionError<T extends Redis | Cluster>(client: T): T {
  const send = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
  (client as { sendCommand: (...args: unknown[]) => unknown }).sendCommand = (...args) => {
    const sent = send(...args);
    if (!(sent instanceof Promise)) return sent;
    const translated = sent.catch((error: unknown) => {
      if (error instanceof Error && OFFLINE_REJECTIONS.has(error.message)) {
        throw new Error(CONNECTION_CLOSED_ERROR_MSG);
      }
      throw error;
    });
    // ioredis also sends commands of its own and handles their original promise only: keep this
    // derived one from counting as an unhandled rejection (callers that await it still get it).
    translated.catch(() => undefined);
    return translated;
  };
  return client;
}

/**
 * ioredis closes the failover detector's sentinel subscriptions on disconnect() but not on
 * quit(), which BullMQ's graceful close uses (ioredis issue #1362, fixed upstream after 5.11.1):
 * they would stay open, and reconnect, after the queue closed. A disconnect() after the quit
 * closes them. (Not on every 'end': BullMQ also disconnects to reconnect, and a disconnect() of
 * ours then would leave the client thinking its next unexpected close was wanted.)
 */
function withFailoverDetectorCleanup(client: Redis): Redis {
  const quit = client.quit.bind(client);
  client.quit = () => quit().finally(() => client.disconnect());
  return client;
}

/** BullMQ's client factory (exported for the tests that check how its clients reconnect). */
export function createQueueClient(opts: BullRedisOptions) {
  if (!isQueueConnectionOptions(opts)) {
    throw new Error('BullMQ connection without a topology: use QueueModule, not raw options');
  }
  // BullMQ merges its defaults (host 127.0.0.1, port 6379) into the options: drop them, the
  // topology says where Redis is.
  const { conduitTopology: topology, ...rest } = opts;
  delete rest.host;
  delete rest.port;
  const common = { ...rest, ...roleOptions(opts) } as RedisOptions;
  switch (topology.kind) {
    case 'standalone':
      return createIORedisClient(
        asConnectionError(new Redis({ ...common, ...ioredisOptionsOf(topology.url) })),
      );
    case 'sentinel':
      return createIORedisClient(
        asConnectionError(
          withFailoverDetectorCleanup(
            new Redis({
              ...common,
              sentinels: topology.sentinels,
              name: topology.masterName,
              sentinelPassword: topology.sentinelPassword,
              // Leave the old master when a sentinel announces +switch-master. Without it the
              // connection stays on a demoted master that is still up (SENTINEL FAILOVER, a
              // partition) until the sentinels reconfigure it, ~10 s later: jobs added there
              // meanwhile (the failover's own job replay and scheduler reapply included) are lost
              // when it resyncs, and the worker runs that copy's jobs.
              failoverDetector: true,
            }),
          ),
        ),
      );
    case 'cluster': {
      const seeds = topology.nodes.map(ioredisOptionsOf);
      // Cluster nodes share credentials (and have no db index): the first seed's apply to all.
      const auth = {
        username: seeds[0]?.username,
        password: seeds[0]?.password,
        tls: seeds[0]?.tls,
      };
      return createIORedisClient(
        asConnectionError(
          new Cluster(
            seeds.map(({ host, port }) => ({ host, port })),
            {
              redisOptions: { ...common, ...auth },
              enableOfflineQueue: common.enableOfflineQueue,
              clusterRetryStrategy: common.retryStrategy,
              // No CLUSTER INFO check before "ready". When it finds cluster_state:fail (a master
              // just died, its replica not promoted yet), ioredis reconnects on its own and
              // never settles the promise of the connect() that ran the check. BullMQ awaits
              // that promise when it resets a blocking connection (its watchdog, at most a few
              // seconds into any failover): the worker then waits for jobs forever and its
              // close never ends (a views flush that stopped for good in the Cluster drill).
              // Without the check, a command to a slot still failing over gets CLUSTERDOWN and
              // ioredis retries it (retryDelayOnClusterDown), as it does once ready anyway.
              enableReadyCheck: false,
            },
          ),
        ),
      );
    }
  }
}

/** Idempotent: every BullMQ connection in this process is created by createQueueClient. */
export function installQueueClientFactory(): void {
  BullConnection.clientFactory = createQueueClient;
}
