import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { paced } from './paced.js';
import type { LoadRequest } from './load.js';

/**
 * `node dist-bench/bench/paced-check.js`: the paced generator's own HTTP reader against a local
 * node:http server that answers in every way the reader must count right: a body split across
 * writes, a 404, `Connection: close`, a connection dropped without an answer, a chunked answer it
 * does not read (an error), a slow answer (its latency must show), and a POST with a token. Exits
 * non-zero when a count or a latency is off. Needs no app, database or CPU lock (~2 s).
 */
const RATE = 200;
const SECONDS = 2;
const SLOW_MS = 50;
const sequence: LoadRequest[] = [
  { path: '/split' },
  { path: '/ok' },
  { path: '/missing' },
  { path: '/close' },
  { path: '/drop' },
  { path: '/chunked' },
  { path: '/slow' },
  { method: 'POST', path: '/post', token: 'abc' },
  { method: 'DELETE', path: '/post', token: 'abc' },
  { path: '/ok' },
];
/** Answers the generator must count as errors, per pass over `sequence`. */
const ERRORS_PER_PASS = 3; // /missing, /drop, /chunked

const seen = new Map<string, number>();
const server = http.createServer((request, response) => {
  const path = request.url ?? '';
  seen.set(path, (seen.get(path) ?? 0) + 1);
  switch (path) {
    case '/split': {
      const body = 'x'.repeat(9000);
      response.writeHead(200, { 'content-length': body.length, 'content-type': 'text/plain' });
      response.write(body.slice(0, 1000));
      setTimeout(() => response.end(body.slice(1000)), 2);
      return;
    }
    case '/ok':
      response.writeHead(200, { 'Content-Length': 2 }).end('{}');
      return;
    case '/missing':
      response.writeHead(404, { 'content-length': 9 }).end('not found');
      return;
    case '/close':
      response.writeHead(200, { 'content-length': 2, connection: 'close' }).end('{}');
      return;
    case '/drop':
      request.socket.destroy();
      return;
    case '/chunked':
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('part');
      response.end();
      return;
    case '/slow':
      setTimeout(() => response.writeHead(200, { 'content-length': 2 }).end('{}'), SLOW_MS);
      return;
    case '/post': {
      const ok =
        request.headers.authorization === 'Token abc' && request.headers['content-length'] === '0';
      response.writeHead(ok ? 201 : 400, { 'content-length': 0 }).end();
      return;
    }
    default:
      response.writeHead(500, { 'content-length': 0 }).end();
  }
});

async function main(): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let i = 0;
  const result = await paced(`http://127.0.0.1:${port}`, () => sequence[i++ % sequence.length], {
    rate: RATE,
    seconds: SECONDS,
    warmupSeconds: 0,
  });
  server.close();
  server.closeAllConnections();
  const total = RATE * SECONDS;
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(result.total === total, `answered ${result.total} of ${total} requests`);
  const errors = (total / sequence.length) * ERRORS_PER_PASS;
  check(result.errors === errors, `${result.errors} errors counted, expected ${errors}`);
  for (const path of new Set(sequence.map((pick) => pick.path))) {
    const expected = (total / sequence.length) * sequence.filter((p) => p.path === path).length;
    check(seen.get(path) === expected, `${path} reached the server ${seen.get(path)} times`);
  }
  // One request in ten waits SLOW_MS: the p99 must show it, the p50 must not.
  check(result.p99 >= SLOW_MS, `p99 ${result.p99} ms hides the ${SLOW_MS} ms answers`);
  check(result.p50 < SLOW_MS, `p50 ${result.p50} ms`);
  check(Math.abs(result.requestsPerSecond - RATE) <= RATE * 0.1, `${result.requestsPerSecond}/s`);
  console.log(JSON.stringify(result));
  if (problems.length) {
    console.error(`paced-check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('paced-check: ok');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
