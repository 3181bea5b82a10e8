import { MetricsService } from '../metrics/metrics.service.js';
import type { RedisTopologyClient } from './redis.client.js';
import { RedisGateway, RedisUnavailableError } from './redis-gateway.js';
import { FakeStandaloneTopology } from './standalone-topology.fake.js';
import { RedisTimeoutError } from './with-timeout.js';

/**
 * A standalone topology whose commands never answer while `frozen` (SIGSTOP), or fail while
 * `failing`: the topology client and its one command client in one object.
 */
class FakeClient extends FakeStandaloneTopology {
  frozen = false;
  failing = false;
  calls = 0;

  get(): Promise<string | null> {
    this.calls += 1;
    if (this.failing) return Promise.reject(new Error('connection lost'));
    return this.frozen ? new Promise(() => undefined) : Promise.resolve('value');
  }
}

describe('RedisGateway', () => {
  let client: FakeClient;
  let metrics: MetricsService;
  let gateway: RedisGateway;
  const get = () => gateway.run('test.get', (redis) => redis.get('key'));
  const errors = async () =>
    (await metrics.redisErrors.get()).values.find((v) => v.labels.operation === 'test.get')
      ?.value ?? 0;

  beforeEach(() => {
    client = new FakeClient();
    metrics = new MetricsService();
    gateway = new RedisGateway(
      client as unknown as RedisTopologyClient,
      { commandTimeoutMs: 30 },
      metrics,
    );
  });

  it('bounds a call that never answers, and opens the circuit after two timeouts', async () => {
    client.frozen = true;
    const started = Date.now();
    await expect(get()).rejects.toBeInstanceOf(RedisTimeoutError);
    await expect(get()).rejects.toBeInstanceOf(RedisTimeoutError);
    expect(Date.now() - started).toBeLessThan(500);
    // Open: skipped without touching the client, at once.
    const calls = client.calls;
    await expect(get()).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(client.calls).toBe(calls);
    expect(gateway.usable).toBe(false);
    expect(await errors()).toBe(3);
  });

  it('skips a disconnected client without sending anything', async () => {
    client.isReady = false;
    await expect(get()).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(client.calls).toBe(0);
  });

  it('answers an empty batch (no hashes or no fields) without Redis, even while it is down', async () => {
    client.isReady = false;
    expect(await gateway.hashFields('test.counts', [], ['articles'])).toEqual([]);
    expect(await gateway.hashFields('test.counts', ['k'], [])).toEqual([]);
    await expect(gateway.hashFields('test.counts', ['k'], ['articles'])).rejects.toBeInstanceOf(
      RedisUnavailableError,
    );
  });

  it('tells listeners when Redis answers again after failures', async () => {
    let recovered = 0;
    gateway.onRecovered(() => (recovered += 1));
    client.failing = true;
    await expect(get()).rejects.toThrow('connection lost');
    client.failing = false;
    await expect(get()).resolves.toBe('value');
    await expect(get()).resolves.toBe('value');
    expect(recovered).toBe(1);
  });

  it('background calls are bounded too but neither consult nor feed the breaker', async () => {
    client.frozen = true;
    await expect(get()).rejects.toBeInstanceOf(RedisTimeoutError);
    await expect(get()).rejects.toBeInstanceOf(RedisTimeoutError);
    client.frozen = false;
    await expect(gateway.background('test.get', (redis) => redis.get('key'))).resolves.toBe(
      'value',
    );
    expect(gateway.usable).toBe(false);
  });
});
