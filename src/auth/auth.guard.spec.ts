import { UnauthorizedError } from '../common/domain-error.js';
import { extractToken } from './auth.guard.js';

describe('extractToken', () => {
  it('accepts the RealWorld "Token" scheme and "Bearer", case-insensitively', () => {
    expect(extractToken('Token abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractToken('  token   abc ')).toBe('abc');
  });

  it('returns undefined when no header is sent', () => {
    expect(extractToken(undefined)).toBeUndefined();
    expect(extractToken('  ')).toBeUndefined();
  });

  it.each(['Token', 'Basic abc', 'Token a b', 'abc'])('refuses %p', (header) => {
    expect(() => extractToken(header)).toThrow(UnauthorizedError);
  });
});
