import fc from 'fast-check';
import { openApiDocument } from '../src/app.factory.js';
import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import {
  type AuthChoice,
  type FuzzRequest,
  operationsOf,
  requestFor,
  signJwt,
} from './support/fuzz-requests.js';
import { isRealWorldError } from './support/realworld-error.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

/** Runs per CI run; FUZZ_RUNS raises it locally, FUZZ_SEED replays a run. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);

/**
 * Property-based fuzzing of every route in the app's own OpenAPI document: hostile values per
 * field, strange queries and path segments, raw bodies, odd content types, forged tokens. For every
 * request: no 5xx; every error in the RealWorld shape; and a rejected request changed nothing in
 * Postgres (a checksum of every table before and after).
 */
describe('fuzzing every route from the OpenAPI document', () => {
  let t: TestApp;
  const users: Record<'author' | 'reader' | 'admin', RegisteredUser> = {} as never;
  const fixtures = {
    usernames: [] as string[],
    slugs: [] as string[],
    commentIds: [] as number[],
    emails: [] as string[],
    password: 'correct-horse-battery',
  };
  let checksumSql = '';

  /** One md5 per table, in one statement: a mismatch then names the tables that changed. */
  const checksum = async (): Promise<string> =>
    (await t.db.query<{ sum: string }[]>(checksumSql))[0].sum;
  const changedTables = (before: string, after: string): string[] => {
    const a = before.split('|');
    const b = after.split('|');
    return checksumTables.filter((_, i) => a[i] !== b[i]);
  };
  let checksumTables: string[] = [];

  const tokenFor = (auth: AuthChoice): string | undefined => {
    const secret = process.env.JWT_SECRET ?? '';
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 1, sid: '00000000-0000-4000-8000-000000000000', iat: now };
    switch (auth) {
      case 'none':
        return undefined;
      case 'author':
      case 'reader':
      case 'admin':
        return `Token ${users[auth].token}`;
      case 'alg-none':
        return `Token ${signJwt(claims, '', 'none')}`;
      case 'other-secret':
        return `Token ${signJwt(claims, 'another-secret-that-is-long-enough!!')}`;
      case 'expired':
        return `Token ${signJwt({ ...claims, exp: now - 60 }, secret)}`;
      case 'tampered': {
        const [header, , signature] = users.author.token.split('.');
        return `Token ${header}.${Buffer.from(JSON.stringify({ sub: 2, sid: claims.sid })).toString('base64url')}.${signature}`;
      }
      case 'garbage':
        return 'Token not.a.jwt';
      case 'basic':
        return 'Basic dXNlcjpwYXNz';
      case 'scheme-only':
        return 'Token';
    }
  };

  /**
   * Fixture users whose password a successful PUT /api/user changed: a hostile string can be a
   * valid password (8+ characters, valid Unicode), and the user could then never log in again
   * once its session ends (seed 172935019: the reader's password became 10 random code points,
   * a later logout, and the re-login answered 401).
   */
  const passwordChanged = new Set<AuthChoice>();

  /** Puts back what successful requests took away (a deleted article, an ended session). */
  const restoreFixtures = async (): Promise<void> => {
    for (const role of ['author', 'reader', 'admin'] as const) {
      const user = users[role];
      const me = await t.http().get('/api/user').set(authHeader(user.token));
      if (me.status === 200) {
        Object.assign(user, { email: me.body.user.email, username: me.body.user.username });
        if (passwordChanged.delete(role))
          await t
            .http()
            .put('/api/user')
            .set(authHeader(user.token))
            .send({ user: { password: fixtures.password } })
            .expect(200);
        continue;
      }
      const login = await t
        .http()
        .post('/api/users/login')
        .send({ user: { email: user.email, password: fixtures.password } })
        .expect(200);
      user.token = login.body.user.token as string;
    }
    fixtures.usernames = Object.values(users).map((u) => u.username);
    fixtures.emails = Object.values(users).map((u) => u.email);
    const exists = await t.db.query(`SELECT 1 FROM articles WHERE slug = $1`, [fixtures.slugs[0]]);
    if (exists.length === 0) await createArticle();
  };

  const createArticle = async (): Promise<void> => {
    const article = await t
      .http()
      .post('/api/articles')
      .set(authHeader(users.author.token))
      .send({
        article: { title: `Fuzz ${Date.now()}`, description: 'd', body: 'b', tagList: ['f'] },
      })
      .expect(201);
    const slug = article.body.article.slug as string;
    const comment = await t
      .http()
      .post(`/api/articles/${slug}/comments`)
      .set(authHeader(users.reader.token))
      .send({ comment: { body: 'first' } })
      .expect(200);
    fixtures.slugs = [slug, 'no-such-article'];
    fixtures.commentIds = [comment.body.comment.id as number, 999_999];
  };

  beforeAll(async () => {
    // The test environment keeps the login throttle out of the way (test/env.ts).
    t = await bootApp();
    await resetState(t);
    for (const role of ['author', 'reader', 'admin'] as const) {
      users[role] = await registerUser(t, { password: fixtures.password });
    }
    await t.db.query(`UPDATE users SET role = 'admin' WHERE email = $1`, [users.admin.email]);
    await createArticle();
    await t
      .http()
      .post(`/api/profiles/${users.author.username}/follow`)
      .set(authHeader(users.reader.token))
      .expect(200);
    await restoreFixtures();
    // The outbox is a queue of pending Redis effects, emptied in the background: not data.
    const tables = t.db.entityMetadatas
      .map((meta) => meta.tableName)
      .filter((table) => table !== 'cache_outbox')
      .sort();
    checksumTables = tables;
    checksumSql = `SELECT ${tables
      .map(
        (table) =>
          `md5(coalesce((SELECT string_agg(t::text, ',' ORDER BY t::text) FROM "${table}" t), ''))`,
      )
      .join(` || '|' || `)} AS sum`;
  });
  afterAll(async () => {
    await t.close();
  });

  it(`answers ${RUNS} hostile requests without a 5xx, in the RealWorld shape, changing nothing when rejecting (seed printed)`, async () => {
    const operations = operationsOf(openApiDocument(t.app));
    expect(operations.length).toBeGreaterThan(25);
    // Printed before the run, so a failure (or a hang) can be replayed with FUZZ_SEED.
    process.stdout.write(
      `fuzz: ${RUNS} requests over ${operations.length} routes, FUZZ_SEED=${SEED}\n`,
    );
    const statuses = new Map<number, number>();

    const send = async (request: FuzzRequest) => {
      let call = t.http()[request.operation.method](request.url);
      const authorization = tokenFor(request.auth);
      if (authorization !== undefined) call = call.set('Authorization', authorization);
      if (request.body === undefined) return call;
      call = call.set('Content-Type', request.contentType ?? 'application/json');
      return call.send(
        'raw' in request.body ? request.body.raw : JSON.stringify(request.body.json),
      );
    };

    const property = fc.asyncProperty(
      fc.constantFrom(...operations).chain((operation) => requestFor(operation, fixtures)),
      async (request) => {
        const before = await checksum();
        const response = await send(request);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const label = `${request.operation.method.toUpperCase()} ${request.url} as ${request.auth} → ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
        if (response.status >= 500) throw new Error(`5xx: ${label}`);
        if (response.status >= 400) {
          if (!/^application\/json/.test(String(response.headers['content-type']))) {
            throw new Error(`error without a JSON content type: ${label}`);
          }
          if (!isRealWorldError(response.body))
            throw new Error(`error not in the RealWorld shape: ${label}`);
          const after = await checksum();
          if (after !== before)
            throw new Error(
              `a rejected request changed data (${changedTables(before, after).join(', ')}): ${label}`,
            );
        } else if (request.operation.method !== 'get') {
          // Whatever the body was (JSON or raw), a successful update may have set a password.
          if (request.operation.path === '/api/user') passwordChanged.add(request.auth);
          await restoreFixtures();
        }
      },
    );
    await fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: true });

    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(
      `fuzz: ${total} requests, FUZZ_SEED=${SEED}, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`,
    );
    expect(total).toBe(RUNS);
    // The fuzzer must get past validation and auth often enough to mean something.
    expect(
      [...statuses].filter(([status]) => status < 300).reduce((a, [, n]) => a + n, 0),
    ).toBeGreaterThan(RUNS / 20);
  }, 120_000);
});
