/**
 * Postgres errors that mean "too busy right now", not "your request is wrong" nor "a bug":
 * 57014 query_canceled (statement_timeout), 55P03 lock_not_available (lock_timeout, e.g. a locked
 * table), 53300 too_many_connections. TypeORM's QueryFailedError keeps the driver's code.
 */
const OVERLOAD_CODES = new Set(['57014', '55P03', '53300']);

/**
 * pg-pool's errors when no connection could be had within connectionTimeoutMillis: the pool is
 * exhausted (every connection busy) or a new connection could not be opened in time.
 */
const ACQUIRE_TIMEOUT_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
];

/** True when `error` says Postgres is overloaded: the request should be retried, not fixed. */
export function isDatabaseOverload(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const withCode = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = withCode.driverError?.code ?? withCode.code;
  if (typeof code === 'string' && OVERLOAD_CODES.has(code)) return true;
  return ACQUIRE_TIMEOUT_MESSAGES.some((message) => error.message.includes(message));
}
