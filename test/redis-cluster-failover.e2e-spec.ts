import calculateSlot from 'cluster-key-slot';
import { RedisGateway } from '../src/redis/redis-gateway.js';
import { JOB_BOUND_MS, timelineIds } from './support/feed.js';
import { failOverUnderTraffic } from './support/failover-traffic.js';
import { articleWithLostJob } from './support/lost-job.js';
import { pollUntil } from './support/poll.js';
import { appOnLocalTopology, LocalTopology } from './support/local-topology.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    const held = await pollUntil(
      async () => {
        await gateway
          .run('test.probe', (redis) => redis.get('test:{queues}:probe'))
          .catch(() => null);
        return timelineIds(t, readerId).catch(() => null);
      },
      (ids) => ids?.[0] === id,
      JOB_BOUND_MS,
    );
    expect(held?.[0]).toBe(id);
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
});
