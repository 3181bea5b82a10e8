import { explainPostgresFailure } from './postgres-failure.js';

const URL = 'postgres://app:secret@db.local:5432/conduit';
const failure = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('explainPostgresFailure', () => {
  it('says unreachable, with the redacted URL, for refused or timed-out connections', () => {
    const refused = new AggregateError([failure('ECONNREFUSED', 'connect ECONNREFUSED')]);
    expect(explainPostgresFailure(refused, URL)).toBe(
      'Cannot reach Postgres at postgres://app:***@db.local:5432/conduit (ECONNREFUSED). ' +
        'Start it with `docker compose up -d postgres` or set DATABASE_URL.',
    );
    expect(explainPostgresFailure(new Error('timeout expired'), URL)).toMatch(/^Cannot reach/);
    expect(explainPostgresFailure(failure('ENOTFOUND', 'getaddrinfo'), URL)).toMatch(
      /^Cannot reach/,
    );
  });

  it('names a bad password (28P01) and how to fix it', () => {
    const message = explainPostgresFailure(
      failure('28P01', 'password authentication failed for user "app"'),
      URL,
    );
    expect(message).toMatch(/rejected the password of role "app" \(28P01\)/);
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).not.toMatch(/secret/);
  });

  it('names a missing role (28000) and how to create it', () => {
    expect(explainPostgresFailure(failure('28000', 'role "app" does not exist'), URL)).toMatch(
      /has no role "app" \(28000\)\. Create it \(`createuser --createdb app`\)/,
    );
  });

  it('names a login refused by pg_hba.conf (28000 without a missing role)', () => {
    expect(explainPostgresFailure(failure('28000', 'no pg_hba.conf entry for host'), URL)).toMatch(
      /refused the login of role "app" \(28000: no pg_hba.conf entry/,
    );
  });

  it.each(['3D000', '42501'])('names a database that cannot be created (%s)', (code) => {
    expect(explainPostgresFailure(failure(code, 'permission denied'), URL)).toMatch(
      /Database "conduit" does not exist .* role "app" cannot create it .*createdb -O app conduit/,
    );
  });

  it('falls back to the code and message of anything else', () => {
    expect(explainPostgresFailure(failure('53300', 'too many clients'), URL)).toMatch(
      /failed at start-up \(53300: too many clients\)/,
    );
  });
});
