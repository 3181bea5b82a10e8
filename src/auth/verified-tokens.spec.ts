import { VerifiedTokens } from './verified-tokens.js';

describe('VerifiedTokens', () => {
  const claims = { sub: 7, sid: 'a3c1e8f4-0000-4000-8000-000000000000' };

  it('answers a remembered token with its claims until its expiry, then forgets it', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t', { ...claims, exp: 100 });
    expect(tokens.claimsOf('t', 99_999)).toEqual(claims);
    expect(tokens.claimsOf('t', 100_000)).toBeUndefined();
    expect(tokens.claimsOf('t', 50_000)).toBeUndefined(); // forgotten, verified again next time
  });

  it('never answers a token it was not given, nor one without an expiry', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('no-exp', claims);
    expect(tokens.claimsOf('no-exp')).toBeUndefined();
    expect(tokens.claimsOf('other')).toBeUndefined();
  });
});
