import { QueryFailedError } from 'typeorm';
import { isDatabaseOverload } from './database-overload.js';

const pgError = (code: string) => Object.assign(new Error('pg'), { code });

describe('isDatabaseOverload', () => {
  it('recognises statement and lock timeouts and a full server, as TypeORM wraps them', () => {
    for (const code of ['57014', '55P03', '53300']) {
      expect(isDatabaseOverload(new QueryFailedError('SELECT 1', [], pgError(code)))).toBe(true);
    }
  });

  it("recognises pg-pool's acquire and connect timeouts", () => {
    expect(isDatabaseOverload(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseOverload(new Error('Connection terminated due to connection timeout'))).toBe(
      true,
    );
  });

  it('leaves other errors alone (they are bugs or client errors)', () => {
    expect(isDatabaseOverload(new QueryFailedError('SELECT 1', [], pgError('23505')))).toBe(false);
    expect(isDatabaseOverload(new Error('boom'))).toBe(false);
    expect(isDatabaseOverload('57014')).toBe(false);
  });
});
