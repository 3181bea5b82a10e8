import { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';

describe('UnconfirmedInvalidations', () => {
  it('covers a key while any holder holds it', () => {
    const held = new UnconfirmedInvalidations(1000);
    held.hold('outbox:1', ['a', 'b']);
    held.hold('replay:1:0', ['b']);
    expect([held.covers('a'), held.covers('b'), held.covers('c')]).toEqual([true, true, false]);
    held.release('outbox:1');
    expect([held.covers('a'), held.covers('b')]).toEqual([false, true]);
    held.releaseAll('replay:');
    expect(held.covers('b')).toBe(false);
    expect(held.size).toBe(0);
  });

  it('drops a holder never released after its bound', () => {
    const held = new UnconfirmedInvalidations(1000);
    held.hold('outbox:1', ['a'], 0);
    held.hold('outbox:2', ['b'], 900);
    expect(held.covers('a', 999)).toBe(true);
    expect(held.covers('a', 1001)).toBe(false);
    expect(held.covers('b', 1001)).toBe(true);
  });

  it('holding again under one name replaces the keys (no double count)', () => {
    const held = new UnconfirmedInvalidations(1000);
    held.hold('outbox:1', ['a']);
    held.hold('outbox:1', ['a', 'b']);
    held.release('outbox:1');
    expect([held.covers('a'), held.covers('b')]).toEqual([false, false]);
  });
});
