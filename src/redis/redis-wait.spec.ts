import { RedisTopologyClient } from './redis.client.js';

/** A Sentinel topology client whose master connection answers WAIT and ROLE from a script. */
function sentinelWith(answers: { wait: number; replicas: number }) {
  const client = new RedisTopologyClient(
    { kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: 1 }], masterName: 'conduit' },
    { connectTimeoutMs: 100 },
  );
  const sent: string[] = [];
  const master = (client as unknown as { clients: { sendCommand: unknown }[] }).clients[0];
  master.sendCommand = (_readonly: boolean, command: string[]) => {
    sent.push(command[0]);
    if (command[0] === 'WAIT') return Promise.resolve(answers.wait);
    const replicas = Array.from({ length: answers.replicas }, () => ['127.0.0.1', '7011', '0']);
    return Promise.resolve(['master', 0, replicas]);
  };
  return { client, sent };
}

describe('RedisTopologyClient.waitForReplica', () => {
  it('confirms when a replica acknowledged', async () => {
    const { client, sent } = sentinelWith({ wait: 1, replicas: 1 });
    expect(await client.waitForReplica(['k'], 10)).toBe(true);
    expect(sent).toEqual(['WAIT']);
  });

  it('does not confirm when the master has a replica that did not acknowledge in time', async () => {
    const { client, sent } = sentinelWith({ wait: 0, replicas: 1 });
    expect(await client.waitForReplica(['k'], 10)).toBe(false);
    expect(sent).toEqual(['WAIT', 'ROLE']);
  });

  it('confirms on a master with no replica at all (nothing to promote), and skips WAIT for a while', async () => {
    const { client, sent } = sentinelWith({ wait: 0, replicas: 0 });
    expect(await client.waitForReplica(['k'], 10)).toBe(true);
    expect(await client.waitForReplica(['k'], 10)).toBe(true);
    expect(sent).toEqual(['WAIT', 'ROLE']);
  });
});
