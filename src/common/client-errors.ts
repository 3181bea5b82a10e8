import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './realworld-errors.js';

interface ClientError extends Error {
  code?: string;
  /** The bytes the parser had received (a Buffer at run time, whatever the typings say). */
  rawPacket?: unknown;
}

/** Status and message for a request Node's HTTP parser refused before any route saw it. */
function describeClientError(error: ClientError): [number, string] {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'request timed out'];
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // The parser counts the request line towards the header limit: if that alone does not fit,
    // the URL is what was too long.
    const raw = error.rawPacket;
    const requestLineEnd = Buffer.isBuffer(raw) ? raw.indexOf('\r\n') : 0;
    return requestLineEnd !== -1 && requestLineEnd < maxHeaderSize
      ? [431, 'request headers are too large (16 KB at most)']
      : [414, 'request URL is too long'];
  }
  if (error.code === 'HPE_INVALID_HEADER_TOKEN') return [400, 'a request header is malformed'];
  if (
    error.code === 'HPE_UNEXPECTED_CONTENT_LENGTH' ||
    error.code === 'HPE_INVALID_CONTENT_LENGTH'
  ) {
    return [400, 'content-length is malformed'];
  }
  return [400, 'malformed HTTP request'];
}

/**
 * Fastify's `clientErrorHandler` (Node's 'clientError' event): requests the HTTP parser refuses
 * (a control byte in a header, a bad Content-Length, headers over 16 KB) never reach Fastify's
 * routing, so the answer is written raw on the socket, in the RealWorld error shape, and the
 * connection closed (the parser's state is unusable after such an error).
 */
export function replyToClientError(error: ClientError, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = describeClientError(error);
  const body = JSON.stringify(errorBody('body', message));
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}
