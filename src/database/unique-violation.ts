import { QueryFailedError } from 'typeorm';

/**
 * The constraint a statement broke when it failed on a unique violation (Postgres 23505), else
 * null. Repositories turn the constraints they know into domain errors by name.
 */
export function uniqueViolationOf(error: unknown): string | null {
  if (!(error instanceof QueryFailedError)) return null;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  return code === '23505' && constraint ? constraint : null;
}
