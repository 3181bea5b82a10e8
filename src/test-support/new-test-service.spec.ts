import { Inject, Injectable } from '@nestjs/common';
import { Env } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { CacheTagsService } from '../cache/cache-tags.service.js';
import { newTestService, provide, TEST_KEY_PREFIX } from './new-test-service.js';

@Injectable()
class Example {
  constructor(
    readonly tags: CacheTagsService,
    readonly keys: RedisKeys,
    readonly env: Env,
  ) {}
}

interface Settings {
  size: number;
}

interface Queue {
  add(name: string): Promise<void>;
}

@Injectable()
class TakesAToken {
  constructor(
    @Inject('QUEUE') readonly queue: Queue,
    readonly env: Env,
  ) {}
}

@Injectable()
class TakesAnInterface {
  constructor(readonly settings: Settings) {}
}

describe('newTestService', () => {
  it('gives each constructor parameter a fake of its type: mocks, or real pure values', () => {
    const { sut, mock, get } = newTestService(Example);
    expect(sut.tags).toBe(mock(CacheTagsService));
    expect(jestMockNames(sut.tags)).toContain('CacheTagsService.bump');
    expect(sut.keys.prefix).toBe(TEST_KEY_PREFIX);
    expect(get(Env)).toBe(sut.env);
    expect(() => mock(Env)).toThrow(/not a mock/);
  });

  it('uses what the test provides instead', () => {
    const env = Object.assign(new Env(), { PORT: 1 });
    expect(newTestService(Example, provide(Env, env)).sut.env).toBe(env);
  });

  it('fakes a parameter injected by token, even when its type is an interface', async () => {
    const { sut, mock } = newTestService(TakesAToken);
    await sut.queue.add('job');
    expect(mock('QUEUE').add).toHaveBeenCalledWith('job');
    const queue = { add: () => Promise.resolve() };
    expect(newTestService(TakesAToken, provide('QUEUE', queue)).sut.queue).toBe(queue);
  });

  it('refuses a parameter it cannot fake, naming it', () => {
    expect(() => newTestService(TakesAnInterface)).toThrow(/TakesAnInterface: parameter 0/);
  });
});

function jestMockNames(mock: object): string[] {
  return Object.values(mock).map((fn: { getMockName(): string }) => fn.getMockName());
}
