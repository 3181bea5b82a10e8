import calculateSlot from 'cluster-key-slot';
import { RedisTopologyClient, type RedisClient } from './redis.client.js';

/** Records each MGET and answers every key with its own name. */
function recordingClient() {
  const calls: string[][] = [];
  const client = {
    mGet: (keys: string[]) => {
      calls.push(keys);
      return Promise.resolve(keys.map((key) => `value of ${key}`));
    },
  } as unknown as RedisClient;
  return { calls, client };
}

describe('RedisTopologyClient.mGet', () => {
  const keys = ['user:{1}:profile', 'user:{2}:profile', 'user:{1}:role', 'article:{9}'];

  it('sends one MGET per hash slot on a Cluster and answers in the order asked', async () => {
    const cluster = new RedisTopologyClient(
      { kind: 'cluster', nodes: ['redis://127.0.0.1:1'] },
      { connectTimeoutMs: 100 },
    );
    const { calls, client } = recordingClient();
    const values = await cluster.mGet(client, keys);
    expect(values).toEqual(keys.map((key) => `value of ${key}`));
    expect(calls).toHaveLength(new Set(keys.map((key) => calculateSlot(key))).size);
    for (const call of calls) expect(new Set(call.map((key) => calculateSlot(key))).size).toBe(1);
  });

  it('sends one MGET on a standalone Redis', async () => {
    const standalone = new RedisTopologyClient(
      { kind: 'standalone', url: 'redis://127.0.0.1:1' },
      { connectTimeoutMs: 100 },
    );
    const { calls, client } = recordingClient();
    await standalone.mGet(client, keys);
    expect(calls).toEqual([keys]);
  });
});
