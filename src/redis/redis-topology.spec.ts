import { validateEnv } from '../config/env.schema.js';
import { describeTopology, redisTopologyOf } from './redis-topology.js';

describe('redisTopologyOf', () => {
  it('is standalone on REDIS_URL by default', () => {
    const topology = redisTopologyOf(validateEnv({ REDIS_URL: 'redis://:pw@cache:6379/2' }));
    expect(topology).toEqual({ kind: 'standalone', url: 'redis://:pw@cache:6379/2' });
    expect(describeTopology(topology)).toBe('Redis at redis://:***@cache:6379/2');
  });

  it('prefers a Sentinel set over REDIS_URL', () => {
    const topology = redisTopologyOf(
      validateEnv({
        REDIS_URL: 'redis://ignored:6379',
        REDIS_SENTINELS: 's1:26379, s2:26380',
        REDIS_SENTINEL_MASTER: 'conduit',
        REDIS_SENTINEL_PASSWORD: 'secret',
      }),
    );
    expect(topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      masterName: 'conduit',
      sentinelPassword: 'secret',
    });
    expect(describeTopology(topology)).toBe(
      'Redis Sentinel master "conduit" via sentinels s1:26379,s2:26380',
    );
  });

  it('prefers a Cluster over REDIS_URL', () => {
    const topology = redisTopologyOf(
      validateEnv({ REDIS_CLUSTER_NODES: 'redis://n1:7000,redis://n2:7001' }),
    );
    expect(topology).toEqual({ kind: 'cluster', nodes: ['redis://n1:7000', 'redis://n2:7001'] });
  });
});

describe('Redis topology variables', () => {
  it('refuse malformed lists, a missing master name and two topologies at once', () => {
    expect(() => validateEnv({ REDIS_SENTINELS: 's1' })).toThrow(
      /REDIS_SENTINELS: expected host:port[\s\S]*REDIS_SENTINEL_MASTER: required/,
    );
    expect(() => validateEnv({ REDIS_CLUSTER_NODES: 'n1:7000' })).toThrow(
      /REDIS_CLUSTER_NODES: expected redis:\/\/host:port/,
    );
    expect(() =>
      validateEnv({
        REDIS_SENTINELS: 's1:1',
        REDIS_SENTINEL_MASTER: 'm',
        REDIS_CLUSTER_NODES: 'redis://n1:7000',
      }),
    ).toThrow(/set one topology, not both/);
  });

  it('read REDIS_READ_FROM_REPLICAS as a boolean', () => {
    expect(validateEnv({ REDIS_READ_FROM_REPLICAS: 'true' }).REDIS_READ_FROM_REPLICAS).toBe(true);
    expect(validateEnv({}).REDIS_READ_FROM_REPLICAS).toBe(false);
  });
});
