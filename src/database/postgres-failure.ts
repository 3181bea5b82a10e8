import { describeError, rootError } from '../common/describe-error.js';
import { redactUrl } from './ensure-database.js';

/** Network-level failures: nothing answered at the address in DATABASE_URL. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * One line saying what went wrong when the app first talks to Postgres, and how to fix it.
 * The SQLSTATE codes are Postgres' own: 28P01 bad password, 28000 rejected login (an unknown role
 * or no pg_hba.conf entry), 3D000 unknown database, 42501 no right to create the database.
 */
export function explainPostgresFailure(error: unknown, databaseUrl: string): string {
  const at = redactUrl(databaseUrl);
  const url = safeUrl(databaseUrl);
  const role = decodeURIComponent(url?.username ?? '') || 'postgres';
  const database = decodeURIComponent(url?.pathname.slice(1) ?? '');
  const { code, message = '' } = rootError(error);

  if ((code && UNREACHABLE.has(code)) || /timeout|terminated unexpectedly/i.test(message)) {
    return (
      `Cannot reach Postgres at ${at} (${describeError(error)}). ` +
      'Start it with `docker compose up -d postgres` or set DATABASE_URL.'
    );
  }
  if (code === '28P01') {
    return (
      `Postgres at ${at} rejected the password of role "${role}" (28P01). ` +
      'Put the right password in DATABASE_URL (the compose Postgres uses postgres:postgres).'
    );
  }
  if (code === '28000' && /role .* does not exist/i.test(message)) {
    return (
      `Postgres at ${at} has no role "${role}" (28000). ` +
      `Create it (\`createuser --createdb ${role}\`) or set DATABASE_URL to an existing role.`
    );
  }
  if (code === '28000') {
    return (
      `Postgres at ${at} refused the login of role "${role}" (28000: ${message}). ` +
      'Allow it in pg_hba.conf or set DATABASE_URL to a role that may log in.'
    );
  }
  if (code === '3D000' || code === '42501') {
    return (
      `Database "${database}" does not exist on Postgres at ${at} and role "${role}" cannot create it ` +
      `(${code}: ${message}). Create it as a superuser (\`createdb -O ${role} ${database}\`) ` +
      'or grant the role CREATEDB.'
    );
  }
  return `Postgres at ${at} failed at start-up (${code ?? 'no code'}: ${message}). Check DATABASE_URL.`;
}

function safeUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}
