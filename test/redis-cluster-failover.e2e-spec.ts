import calculateSlot from 'cluster-key-slot';
import { failOverUnderTraffic } from './support/failover-traffic.js';
import { appOnLocalTopology, LocalTopology } from './support/local-topology.js';

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
 * writes to it within seconds; caches agree with Postgres after. Numbers print with FAULT_TIMINGS=1.
 */
describe('Redis Cluster: failover under traffic', () => {
  const topology = new LocalTopology('cluster');
  const app = appOnLocalTopology(topology);

  it('a killed master under traffic: 0 failed reads, writes keep committing, the replica takes over, caches coherent', async () => {
    const probe = keyInFirstShard();
    const slot = calculateSlot(probe);
    const killed = (await topology.clusterMasterOf(slot, -1))!;
    await failOverUnderTraffic(app(), {
      label: 'cluster, a killed master',
      trigger: () => topology.kill(killed),
      currentMaster: () => topology.clusterMasterOf(slot, killed),
      probeKey: () => probe,
      node: (port) => topology.node(port),
    });
  }, 60_000);
});
