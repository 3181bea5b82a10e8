import { maskSecretHeaders } from './log-redaction.js';

describe('maskSecretHeaders', () => {
  it('masks authorization and cookie without touching the request’s own headers', () => {
    const raw = { host: 'h', authorization: 'Token secret', cookie: 'sid=1' };
    const serialized = maskSecretHeaders({ id: 'r1', headers: raw });
    expect(serialized.headers).toEqual({
      host: 'h',
      authorization: '[Redacted]',
      cookie: '[Redacted]',
    });
    expect(raw.authorization).toBe('Token secret');
    expect(JSON.stringify(serialized)).not.toContain('secret');
  });

  it('adds no header a request did not send', () => {
    const headers = { host: 'h' };
    const serialized = maskSecretHeaders({ headers });
    expect(serialized.headers).toBe(headers);
    expect(serialized.headers).not.toHaveProperty('authorization');
  });
});
