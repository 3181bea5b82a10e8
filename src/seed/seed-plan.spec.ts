import { parseSeedArgs, SCALES } from './seed-plan.js';

describe('parseSeedArgs', () => {
  it('defaults to the small scale without reset', () => {
    expect(parseSeedArgs([])).toEqual({ ...SCALES.small, reset: false });
  });

  it('takes a scale, then explicit overrides', () => {
    expect(parseSeedArgs(['--scale', 'large', '--users', '500', '--reset'])).toEqual({
      ...SCALES.large,
      users: 500,
      reset: true,
    });
  });

  it.each([
    ['--users', '1'],
    ['--users', 'x'],
    ['--scale', 'huge'],
    ['--favorites-per-user', '-1'],
    ['--nope'],
  ])('rejects %p %p', (...args) => {
    expect(() => parseSeedArgs(args)).toThrow();
  });
});
