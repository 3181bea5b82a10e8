import calculateSlot from 'cluster-key-slot';
import { createQueueClient, queueConnectionOptions } from '../src/queue/queue-connection.js';
import { RedisGateway } from '../src/redis/redis-gateway.js';
import { expectNewestInTimeline, timelineIds } from './support/feed.js';
import { failOverUnderTraffic } from './support/failover-traffic.js';
import { articleWithLostJob } from './support/lost-job.js';
import { appOnLocalTopology, LocalTopology } from './support/local-topology.js';
import { pollUntil } from './support/poll.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Cluster's seed URLs, as the app reads them (REDIS_CLUSTER_NODES). */
function clusterNodes(topology: LocalTopology): string[] {
  return topology.env.REDIS_CLUSTER_NODES.split(',').map((node) => node.trim());
}

/** A key of the test prefix whose hash slot the first master (slots 0-5460) serves. */
function keyInFirstShard(): string {
  for (let i = 0; ; i++) {
    const key = `test:failover-probe:{${i}}`;
    if (calculateSlot(key) <= 5460) return key;
  }
}

/**
 * A Cluster of the test's own (3 masters, 3 replicas; TEST_TOPOLOGY_PORT_BASE..+5), with replica reads on: a
 * master killed under traffic costs no read and no write, its replica is promoted, and the app
 * writes to it within seconds; caches agree with Postgres after. The killed master holds the
 * queues' slot ({queues}: slot 4777): the fan-out jobs of articles published meanwhile reach every
 * follower's timeline, or reconciliation repairs what the failover lost, and the repeatable views
 * flush runs on the promoted replica. Numbers print with FAULT_TIMINGS=1.
 */
describe('Redis Cluster: failover under traffic', () => {
  const topology = new LocalTopology('cluster');
  const app = appOnLocalTopology(topology);

  it("a job the failover of the queues' shard lost is enqueued again (CLUSTER FAILOVER)", async () => {
    const t = app();
    const queueSlot = calculateSlot('{queues}');
    const master = (await topology.clusterMasterOf(queueSlot, -1))!;
    const replica = (await topology.replicaOf(master))!;
    expect(replica).not.toBeNull();
    // The queues' shard fails over; the timeline's shard keeps the removal for good.
    const { readerId, id } = await articleWithLostJob(t);
    const node = await topology.node(master);
    try {
      expect(Number(await node.sendCommand(['WAIT', '1', '2000']))).toBe(1);
    } finally {
      node.destroy();
    }

    const promoted = await topology.node(replica);
    try {
      await promoted.sendCommand(['CLUSTER', 'FAILOVER']);
    } finally {
      promoted.destroy();
    }
    // The app's client learns the new map from the next MOVED on that shard; its failover
    // listeners then hand the recent jobs over again (JobReplay).
    const gateway = t.app.get(RedisGateway);
    await expectNewestInTimeline(id, async () => {
      await gateway
        .run('test.probe', (redis) => redis.get('test:{queues}:probe'))
        .catch(() => null);
      return timelineIds(t, readerId).catch(() => null);
    });
    expect(await topology.clusterMasterOf(queueSlot, -1)).toBe(replica);
  }, 60_000);

  it('a killed master under traffic: 0 failed reads, writes keep committing, the replica takes over, caches coherent', async () => {
    const probe = keyInFirstShard();
    const slot = calculateSlot(probe);
    const killed = (await topology.clusterMasterOf(slot, -1))!;
    const replica = await topology.replicaOf(killed);
    expect(replica).not.toBeNull();
    // The queues' keys (one hash tag, one slot) live on the master that dies.
    expect(await topology.clusterMasterOf(calculateSlot('{queues}'), -1)).toBe(killed);
    await failOverUnderTraffic(app(), {
      label: 'cluster, a killed master',
      // The worst case for invalidations: the replica that will be promoted is frozen while the
      // master takes writes (their WAIT 1 times out), and the master dies before it caught up.
      // Without the unconfirmed-key hold, authors read old versions from the promoted replica.
      trigger: async () => {
        topology.freeze(replica!);
        try {
          await sleep(1000);
          await topology.kill(killed);
        } finally {
          topology.freeze(replica!, false);
        }
      },
      currentMaster: () => topology.clusterMasterOf(slot, killed),
      probeKey: () => probe,
      node: (port) => topology.node(port),
    });
    // A fan-out job left active on the promoted replica runs again only after BullMQ's stalled
    // check (up to ~60 s): see test/support/failover-jobs.ts.
  }, 150_000);

  it('a queue connection reconnects while the cluster state is fail (a shard down, no replica to promote)', async () => {
    // A shard whose master and replica are both alive: both frozen, nothing can take over.
    let master: number | null = null;
    let replica: number | null = null;
    for (const slot of [0, 5461, 10923]) {
      master = await topology.clusterMasterOf(slot, -1);
      replica = master === null ? null : await topology.replicaOf(master);
      // After the kill drill one shard's master has no replica (and ROLE may still name the dead one).
      if (replica !== null && topology.alive(master!) && topology.alive(replica)) break;
      replica = null;
    }
    expect(replica).not.toBeNull();
    const ports = [0, 1, 2, 3, 4, 5].map((i) => topology.basePort + i);
    const witness = ports.find((port) => port !== master && port !== replica)!;
    // As BullMQ's blocking connection is made (retry forever), on the drill's own Cluster.
    const client = createQueueClient({
      ...queueConnectionOptions({ kind: 'cluster', nodes: clusterNodes(topology) }, 2000),
      maxRetriesPerRequest: null,
    });
    client.on('error', () => undefined);
    // Once only, and never after the test: the topology may be gone by then (its pid files too).
    let frozen = false;
    const unfreeze = () => {
      if (!frozen) return;
      frozen = false;
      topology.freeze(master!, false);
      topology.freeze(replica!, false);
    };
    let thaw: NodeJS.Timeout | undefined;
    try {
      expect(
        await pollUntil(
          () => Promise.resolve(client.status),
          (status) => status === 'ready',
          10_000,
        ),
      ).toBe('ready');
      frozen = true;
      topology.freeze(master!);
      topology.freeze(replica!);
      const node = await topology.node(witness);
      const state = await pollUntil(
        async () =>
          (await node.sendCommand<string>(['CLUSTER', 'INFO'])).match(/cluster_state:(\w+)/)?.[1],
        (found) => found === 'fail',
        15_000,
      );
      node.destroy();
      expect(state).toBe('fail');
      // BullMQ's watchdog resets a blocking connection this way: disconnect, then connect again.
      const ended = new Promise((resolve) => client.once('end', resolve));
      client.disconnect();
      await ended;
      const connecting = client.connect().then(
        () => 'connected',
        (error: Error) => `rejected: ${error.message}`,
      );
      thaw = setTimeout(unfreeze, 1000);
      const outcome = await Promise.race([connecting, sleep(10_000).then(() => 'never settled')]);
      expect(outcome).toBe('connected');
    } finally {
      clearTimeout(thaw);
      unfreeze();
      client.disconnect();
    }
  }, 60_000);
});
