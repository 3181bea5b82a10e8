import { HttpStatus } from '@nestjs/common';

/**
 * A rule of the domain was broken. Services throw subclasses; the global exception filter turns
 * them into RealWorld errors (`{"errors": {field: [message]}}`) with their HTTP status.
 */
export abstract class DomainError extends Error {
  abstract readonly status: HttpStatus;

  constructor(
    message: string,
    /** The request field at fault, or `body` for the request as a whole. */
    readonly field = 'body',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly status = HttpStatus.NOT_FOUND;
}

export class ForbiddenError extends DomainError {
  readonly status = HttpStatus.FORBIDDEN;
}

export class UnauthorizedError extends DomainError {
  readonly status = HttpStatus.UNAUTHORIZED;
}

/** A request that is well-formed but breaks a rule: taken names, following oneself... */
export class ValidationFailedError extends DomainError {
  readonly status = HttpStatus.UNPROCESSABLE_ENTITY;
}

/** Postgres' foreign-key violation: the row we point at was deleted by a concurrent request. */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { driverError?: { code?: string } }).driverError?.code === '23503';
}

/** A dependency the answer cannot be computed without (e.g. Redis for presence) is unavailable. */
export class ServiceUnavailableError extends DomainError {
  readonly status = HttpStatus.SERVICE_UNAVAILABLE;
}

/** The request conflicts with the current state (e.g. a job that is already running). */
export class ConflictError extends DomainError {
  readonly status = HttpStatus.CONFLICT;
}

/** Too many attempts (login, registration): answered 429 with Retry-After. */
export class TooManyRequestsError extends DomainError {
  readonly status = HttpStatus.TOO_MANY_REQUESTS;
}
