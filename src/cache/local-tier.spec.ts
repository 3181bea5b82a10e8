import { encodeEntry } from './cache-policy.js';
import { LocalTier } from './local-tier.js';

describe('LocalTier', () => {
  const synced = (maxBytes = 1_000_000) => {
    const tier = new LocalTier({ maxBytes, ttlMs: 60_000 });
    tier.synced();
    return tier;
  };

  it('serves nothing until the invalidation channel is synced, and nothing once it dropped', () => {
    const tier = new LocalTier({ maxBytes: 1_000_000, ttlMs: 60_000 });
    tier.set('k', 'v', tier.begin());
    expect(tier.get('k')).toBeUndefined();
    tier.synced();
    tier.set('k', 'v', tier.begin());
    expect(tier.get('k')).toBe('v');
    tier.dropped();
    expect(tier.get('k')).toBeUndefined();
    expect(tier.size).toBe(0);
  });

  it('refuses a fill whose lookup began before the key was invalidated', () => {
    const tier = synced();
    const began = tier.begin();
    tier.invalidated(['k']); // a write landed while the lookup was in flight
    tier.set('k', 'old', began);
    expect(tier.get('k')).toBeUndefined();
    tier.set('k', 'new', tier.begin());
    expect(tier.get('k')).toBe('new');
  });

  it('refuses a fill whose lookup began before the channel dropped and came back', () => {
    const tier = synced();
    const began = tier.begin();
    tier.dropped();
    tier.synced();
    tier.set('k', 'maybe-stale', began);
    expect(tier.get('k')).toBeUndefined();
  });

  it('keeps other keys filled while one key is invalidated', () => {
    const tier = synced();
    const began = tier.begin();
    tier.invalidated(['other']);
    tier.set('k', 'v', began);
    expect(tier.get('k')).toBe('v');
  });

  it('stays within its byte cap, evicting the least recently used entries', () => {
    const tier = synced(10_000);
    for (let i = 0; i < 100; i += 1) tier.set(`key${i}`, 'x'.repeat(500), tier.begin());
    expect(tier.bytes).toBeLessThanOrEqual(10_000);
    expect(tier.get('key99')).toBe('x'.repeat(500));
    expect(tier.get('key0')).toBeUndefined();
  });

  it('is off with a zero byte cap', () => {
    const tier = synced(0);
    tier.set('k', 'v', tier.begin());
    expect(tier.active).toBe(false);
    expect(tier.get('k')).toBeUndefined();
  });

  it('decodes an entry once and serves that value to every later hit', () => {
    const tier = synced();
    tier.set('k', '{"tags":["a"]}', tier.begin());
    const first = tier.getDecoded<{ tags: string[] }>('k');
    const second = tier.getDecoded<{ tags: string[] }>('k');
    expect(first).toEqual({ found: true, value: { tags: ['a'] } });
    expect(second.found && first.found && second.value === first.value).toBe(true);
    tier.invalidated(['k']);
    expect(tier.getDecoded('k')).toEqual({ found: false });
  });

  it('freezes shared decoded values when asked, so a mutation throws instead of spreading', () => {
    const tier = new LocalTier({ maxBytes: 1_000_000, ttlMs: 60_000, freezeDecoded: true });
    tier.synced();
    tier.set('k', '{"author":{"username":"a"},"tagList":["x"]}', tier.begin());
    const entry = tier.getDecoded<{ author: { username: string }; tagList: string[] }>('k');
    if (!entry.found || !entry.value) throw new Error('expected a decoded value');
    const { author, tagList } = entry.value;
    expect(() => (author.username = 'b')).toThrow(TypeError);
    expect(() => tagList.push('y')).toThrow(TypeError);
  });

  it('remembers a negative entry decoded as null', () => {
    const tier = synced();
    tier.set('k', '~nil', tier.begin());
    expect(tier.getDecoded('k')).toEqual({ found: true, value: null });
  });

  describe("holds: whether a handed-out value is still the tier's", () => {
    const handedOut = (tier: LocalTier, key: string, value: object) => {
      tier.set(key, encodeEntry(value), tier.begin());
      const decoded = tier.getDecoded<object>(key);
      if (!decoded.found || decoded.value === null) throw new Error('not cached');
      return decoded.value;
    };

    it('holds a decoded value until its key is invalidated or refilled', () => {
      const tier = synced();
      const a = handedOut(tier, 'a', { n: 1 });
      const b = handedOut(tier, 'b', { n: 2 });
      expect([tier.holds(a), tier.holds(b)]).toEqual([true, true]);
      tier.invalidated(['a']);
      expect([tier.holds(a), tier.holds(b)]).toEqual([false, true]);
      const b2 = handedOut(tier, 'b', { n: 3 }); // replaced by a fill
      expect([tier.holds(b), tier.holds(b2)]).toEqual([false, true]);
    });

    it('lets go of everything when the channel drops, and of what the byte cap evicts', () => {
      const tier = synced();
      const a = handedOut(tier, 'a', { n: 1 });
      tier.dropped();
      expect(tier.holds(a)).toBe(false);
      tier.synced();
      const small = synced(700);
      const first = handedOut(small, 'first', { pad: 'x'.repeat(40) });
      expect(small.holds(first)).toBe(true);
      for (let i = 0; i < 10; i++) handedOut(small, `k${i}`, { pad: 'y'.repeat(40) });
      expect(small.holds(first)).toBe(false); // evicted (least recently used)
    });

    it('never holds a value it did not hand out', () => {
      expect(synced().holds({})).toBe(false);
    });
  });
});
