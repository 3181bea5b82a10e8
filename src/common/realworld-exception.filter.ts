import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseOverload } from '../database/database-overload.js';
import { DomainError } from './domain-error.js';
import { errorBody, type RealWorldErrorBody } from './realworld-errors.js';

/** Fastify's own errors that are the client's fault, by code. */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request body is empty',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'content-length does not match the body',
  FST_ERR_BAD_URL: 'malformed URL',
  FST_ERR_MAX_PARAM_LENGTH: 'a path segment is too long',
};

/** Retry-After of every 503: overload and outages here last seconds (timeouts, breaker). */
const RETRY_AFTER_SECONDS = '1';

/**
 * Fastify's `frameworkErrors` hook: errors its router raises before Nest sees the request (a
 * malformed URL, an overlong path parameter) get the same RealWorld body as everything else.
 */
export function replyToFrameworkError(
  error: { code?: string; statusCode?: number; message?: string },
  _request: unknown,
  reply: FastifyReply,
): void {
  const status = error.statusCode ?? HttpStatus.BAD_REQUEST;
  const message = FASTIFY_CLIENT_ERRORS[error.code ?? ''] ?? 'bad request';
  void reply.status(status).send(errorBody('body', message));
}

/**
 * The one place errors become HTTP answers, always in the RealWorld shape. Domain errors map to
 * their status; Nest's HTTP exceptions keep theirs; client errors raised by Fastify's body parser
 * keep their 4xx status; Postgres overload (statement or lock timeout, no pooled connection in time)
 * is a 503 with Retry-After; anything else is a bug: logged with the request id, answered 500
 * without internals.
 */
@Catch()
export class RealWorldExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const [status, body] = this.toResponse(exception, request);
    if (reply.sent) return;
    // Every 503 is temporary (a dependency is down or overloaded): tell clients when to retry.
    if (status === 503) void reply.header('retry-after', RETRY_AFTER_SECONDS);
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toResponse(exception: unknown, request: FastifyRequest): [number, RealWorldErrorBody] {
    if (exception instanceof DomainError) {
      return [exception.status, errorBody(exception.field, exception.message)];
    }
    if (exception instanceof HttpException) {
      return [exception.getStatus(), this.httpExceptionBody(exception)];
    }
    const fastifyError = exception as { code?: string; statusCode?: number; message?: string };
    const status = fastifyError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message =
        FASTIFY_CLIENT_ERRORS[fastifyError.code ?? ''] ?? fastifyError.message ?? 'bad request';
      return [status, errorBody('body', message)];
    }
    if (isDatabaseOverload(exception)) {
      this.logger.warn(
        `Postgres overloaded on ${request.method} ${request.url} (request ${String(request.id)}): ${(exception as Error).message}`,
      );
      return [
        HttpStatus.SERVICE_UNAVAILABLE,
        errorBody('body', 'the database is busy, retry shortly'),
      ];
    }
    this.logger.error(
      `unhandled error on ${request.method} ${request.url} (request ${String(request.id)})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return [HttpStatus.INTERNAL_SERVER_ERROR, errorBody('body', 'internal server error')];
  }

  private httpExceptionBody(exception: HttpException): RealWorldErrorBody {
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'errors' in response) {
      return response as RealWorldErrorBody;
    }
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: string | string[] }).message
        : exception.message;
    return errorBody('body', ...(Array.isArray(message) ? message : [message]));
  }
}
