import calculateSlot from 'cluster-key-slot';
import { RedisTopologyClient, type RedisClient } from './redis.client.js';

/** Records each `hashFields` call and answers every field with "<key>.<field>". */
function recordingClient() {
  const calls: string[][] = [];
  const client = {
    hashFields: (keys: string[], fields: string[]) => {
      calls.push(keys);
      return Promise.resolve(keys.flatMap((key) => fields.map((field) => `${key}.${field}`)));
    },
  } as unknown as RedisClient;
  return { calls, client };
}

describe('RedisTopologyClient.hashFields', () => {
  const keys = ['user:{1}:count', 'user:{2}:count', 'user:{3}:count', 'user:{1}:other'];
  const fields = ['articles', 'followers'];
  const expected = keys.flatMap((key) => fields.map((field) => `${key}.${field}`));

  it('sends one call per hash slot on a Cluster and answers flat, in the order asked', async () => {
    const cluster = new RedisTopologyClient(
      { kind: 'cluster', nodes: ['redis://127.0.0.1:1'] },
      { connectTimeoutMs: 100 },
    );
    const { calls, client } = recordingClient();
    expect(await cluster.hashFields(client, keys, fields)).toEqual(expected);
    expect(calls).toHaveLength(new Set(keys.map((key) => calculateSlot(key))).size);
    for (const call of calls) expect(new Set(call.map((key) => calculateSlot(key))).size).toBe(1);
  });

  it('sends one call on a standalone Redis, none for no keys', async () => {
    const standalone = new RedisTopologyClient(
      { kind: 'standalone', url: 'redis://127.0.0.1:1' },
      { connectTimeoutMs: 100 },
    );
    const { calls, client } = recordingClient();
    expect(await standalone.hashFields(client, keys, fields)).toEqual(expected);
    expect(await standalone.hashFields(client, [], fields)).toEqual([]);
    expect(calls).toEqual([keys]);
  });
});
