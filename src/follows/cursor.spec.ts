import { ValidationFailedError } from '../common/domain-error.js';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('page cursor', () => {
  it('round-trips and is opaque', () => {
    const cursor = { followedAt: 1_795_442_174_524, userId: 42 };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[\w-]+$/);
    expect(encoded).not.toContain('42');
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    '',
    'abc',
    Buffer.from('1.2.3').toString('base64url'),
    Buffer.from('-1.5').toString('base64url'),
    Buffer.from('10.0').toString('base64url'),
    Buffer.from('10.99999999999').toString('base64url'),
    Buffer.from('1e5.3').toString('base64url'),
    '%%%',
  ])('rejects %p with a 422 error', (raw) => {
    expect(() => decodeCursor(raw)).toThrow(ValidationFailedError);
  });
});
