import type { AddressInfo } from 'node:net';
import { isRealWorldError } from './support/realworld-error.js';
import { sendRaw } from './support/raw-http.js';
import { bootApp, type TestApp } from './support/test-app.js';

/**
 * Errors produced below the routes (Node's HTTP parser, Fastify's router and body parser) answer in
 * the RealWorld shape with a JSON content type, like every other error. Raw sockets, because HTTP
 * clients refuse to send most of these requests.
 */
describe('errors raised before any route answer in the RealWorld shape', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await bootApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (path: string, headers = '') =>
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`;

  it.each([
    ['a control byte in Authorization', get('/api/user', 'Authorization: Token a\u0001b\r\n'), 400],
    [
      'a Content-Length that is not a number',
      'POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
      400,
    ],
    [
      'Content-Length and Transfer-Encoding together',
      'POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400],
    ['headers over 16 KB', get('/api/tags', `X-Big: ${'a'.repeat(17_000)}\r\n`), 431],
    ['a URL over 16 KB', get(`/api/tags?x=${'a'.repeat(17_000)}`), 414],
    ['an unknown route', get('/api/no-such-route'), 404],
    ['a path parameter over the router limit', get(`/api/profiles/${'x'.repeat(500)}`), 414],
    ['a malformed percent-encoding in the path', get('/api/profiles/%E0%A4%A'), 400],
  ])('%s', async (_name, request, status) => {
    const response = await sendRaw(port, request);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
    expect(isRealWorldError(JSON.parse(response.body))).toBe(true);
  });

  it('a Content-Length longer than the body: 400 once the server stops waiting, or no answer', async () => {
    // Node waits for the announced bytes; the client gives up, nothing is written as a 5xx.
    const response = await sendRaw(
      port,
      'POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{}',
      300,
    );
    expect(response.status === 0 || (response.status >= 400 && response.status < 500)).toBe(true);
  });

  it('a Content-Length shorter than the body: the extra bytes are refused as a bad request', async () => {
    const response = await sendRaw(
      port,
      'POST /api/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}garbage\r\n\r\n',
    );
    // The parser meets the garbage before the first answer is written: one 400 for the connection.
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ errors: { body: ['malformed HTTP request'] } });
  });
});
