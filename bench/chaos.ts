import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { RedisServerProcess } from '../test/support/redis-server.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';
import { runNodeScript, startApp, type RunningApp } from './processes.js';
import { numberOption } from './options.js';
import { apiRequest } from './api.js';

/**
 * `npm run chaos`: two built app instances (production mode) on their own Redis (a redis-server
 * this script starts, on ports 7150-7199, each instance behind its own TCP proxy so one can be
 * partitioned) and their own database (`conduit_chaos`, dropped and recreated), under a closed-loop
 * mixed load (90% reads, 10% writes, loopback only). Faults, in turn: Redis killed and restarted
 * empty, Redis frozen (SIGSTOP), one instance partitioned from Redis, the `articles` table locked.
 * Each phase: 2 s of load, the fault (writes stop when it ends, reads go on for 3 s), a settling
 * pause, then one row: requests, 5xx other than 503, 503s, client timeouts, p99 of the requests
 * sent during the fault, acknowledged writes missing from Postgres, API answers that disagree with
 * Postgres (stale entries, both instances), and count drift (leaderboard entries and per-user
 * stats that disagree with Postgres) before and after one reconciliation run (the CLI).
 * Options: --fault-seconds N (default 10), --workers N (default 24), --users N (default 48).
 */
const FAULT_SECONDS = numberOption('--fault-seconds', 10);
const WORKERS = numberOption('--workers', 24);
const USERS = Math.max(numberOption('--users', 48), WORKERS);
const REDIS_PORT = 7150;
const PROXY_PORTS = [7151, 7152];
const REQUEST_TIMEOUT_MS = 15_000;
const SETTLE_MS = 3000;
const PASSWORD = 'chaos-password';
const ADMIN_EMAIL = 'chaos-admin@example.com';
const TAGS = ['alpha', 'beta', 'gamma', 'delta'];

try {
  process.loadEnvFile('.env');
} catch {
  // defaults
}
const baseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit');
baseUrl.pathname = '/conduit_chaos';
const DATABASE_URL = baseUrl.toString();

interface User {
  id: number;
  username: string;
  email: string;
  token: string;
}

interface Sample {
  start: number;
  ms: number;
  status: number; // 0 = network error or client timeout
  route: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

/** The parts of API answers this script reads (each route fills its own). */
interface ApiBody {
  user?: { token: string };
  profile?: {
    bio: string | null;
    following: boolean;
    followersCount: number;
    articlesCount: number;
  };
  article?: { slug: string; favoritesCount: number; favorited: boolean };
  articles?: { slug: string }[];
  tags?: string[];
  entries?: { profile: { username: string }; score: number }[];
  total?: number;
  stats?: Record<string, number>;
}

async function call(
  app: RunningApp,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; json: ApiBody }> {
  // A refused or timed-out request is status 0: the chaos run counts it, it does not stop.
  return apiRequest<ApiBody>(app.url, method, path, {
    token,
    body,
    timeoutMs: REQUEST_TIMEOUT_MS,
  }).catch(() => ({ status: 0, json: {} }));
}

/**
 * What acknowledged writes promised, per key: the last acknowledged value wins. Each worker owns
 * its actors, so the writes to one key are sequential and "last acknowledged" is well defined. A
 * write that was not acknowledged (5xx, timeout) makes the key uncertain until the next ack.
 */
class Ledger {
  readonly follows = new Map<string, boolean>(); // "a:b" -> a follows b
  readonly favorites = new Map<string, boolean>(); // "u:slug"
  readonly bios = new Map<number, string>();
  readonly articles = new Set<string>(); // slugs
  readonly uncertain = new Set<string>();
  acknowledged = 0;

  record(key: string, ok: boolean, apply: () => void): void {
    if (ok) {
      this.uncertain.delete(key);
      this.acknowledged += 1;
      apply();
    } else {
      this.uncertain.add(key);
    }
  }
}

class Load {
  readonly samples: Sample[] = [];
  /** Off once the fault ends: what is stale afterwards was left stale by the fault itself. */
  writes = true;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly apps: RunningApp[],
    private readonly users: User[],
    private readonly slugs: string[],
    private readonly ledger: Ledger,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: WORKERS }, (_, w) => this.worker(w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async worker(index: number): Promise<void> {
    // Worker w owns the actors w, w + WORKERS, ...: its writes to their keys are sequential.
    const mine = this.users.filter((_, i) => i % WORKERS === index);
    while (this.running) {
      const app = pick(this.apps);
      const actor = pick(mine);
      const started = performance.now();
      const [route, status] =
        this.writes && Math.random() >= 0.9
          ? await this.write(app, actor)
          : await this.read(app, actor);
      this.samples.push({ start: started, ms: performance.now() - started, status, route });
    }
  }

  private async read(app: RunningApp, actor: User): Promise<[string, number]> {
    const other = pick(this.users);
    const token = Math.random() < 0.5 ? actor.token : undefined;
    const [route, path] = pick([
      ['GET /api/profiles/:username', `/api/profiles/${other.username}`],
      ['GET /api/articles', `/api/articles?limit=10`],
      ['GET /api/articles?tag=', `/api/articles?tag=${pick(TAGS)}&limit=10`],
      ['GET /api/articles/:slug', `/api/articles/${pick(this.slugs)}`],
      ['GET /api/tags', `/api/tags`],
      ['GET /api/articles/feed', `/api/articles/feed?limit=10`],
      ['GET /api/user', `/api/user`],
    ]);
    const needsToken = path === '/api/user' || path.startsWith('/api/articles/feed');
    return [route, (await call(app, 'GET', path, needsToken ? actor.token : token)).status];
  }

  private async write(app: RunningApp, actor: User): Promise<[string, number]> {
    const kind = Math.random();
    if (kind < 0.4) {
      const target = pick(this.users.filter((u) => u.id !== actor.id));
      const follow = Math.random() < 0.6;
      const { status } = await call(
        app,
        follow ? 'POST' : 'DELETE',
        `/api/profiles/${target.username}/follow`,
        actor.token,
      );
      const key = `${actor.id}:${target.id}`;
      this.ledger.record(`f:${key}`, status === 200, () => this.ledger.follows.set(key, follow));
      return ['follow/unfollow', status];
    }
    if (kind < 0.75) {
      const slug = pick(this.slugs);
      const favorite = Math.random() < 0.6;
      const { status } = await call(
        app,
        favorite ? 'POST' : 'DELETE',
        `/api/articles/${slug}/favorite`,
        actor.token,
      );
      const key = `${actor.id}:${slug}`;
      this.ledger.record(`v:${key}`, status === 200, () =>
        this.ledger.favorites.set(key, favorite),
      );
      return ['favorite/unfavorite', status];
    }
    if (kind < 0.9) {
      const bio = `bio ${Math.random().toString(36).slice(2)}`;
      const { status } = await call(app, 'PUT', '/api/user', actor.token, { user: { bio } });
      this.ledger.record(`b:${actor.id}`, status === 200, () =>
        this.ledger.bios.set(actor.id, bio),
      );
      return ['PUT /api/user', status];
    }
    const title = `chaos ${actor.username} ${Math.random().toString(36).slice(2)}`;
    const { status, json } = await call(app, 'POST', '/api/articles', actor.token, {
      article: { title, description: 'd', body: 'b', tagList: [pick(TAGS), `t-${actor.id}`] },
    });
    if (status === 201) {
      this.ledger.record(`a:${json.article!.slug}`, true, () =>
        this.ledger.articles.add(json.article!.slug),
      );
    }
    return ['POST /api/articles', status];
  }
}

function countBy(labels: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

function p99(samples: Sample[]): number {
  if (samples.length === 0) return 0;
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

/** Acknowledged writes that Postgres does not hold. */
async function lostWrites(db: pg.Client, ledger: Ledger): Promise<number> {
  let lost = 0;
  for (const [key, following] of ledger.follows) {
    if (ledger.uncertain.has(`f:${key}`)) continue;
    const [a, b] = key.split(':').map(Number);
    const { rowCount } = await db.query(
      'SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2',
      [a, b],
    );
    if (Boolean(rowCount) !== following) lost += 1;
  }
  for (const [key, favorited] of ledger.favorites) {
    if (ledger.uncertain.has(`v:${key}`)) continue;
    const [u, slug] = [Number(key.slice(0, key.indexOf(':'))), key.slice(key.indexOf(':') + 1)];
    const { rowCount } = await db.query(
      'SELECT 1 FROM favorites f JOIN articles a ON a.id = f.article_id WHERE f.user_id = $1 AND a.slug = $2',
      [u, slug],
    );
    if (Boolean(rowCount) !== favorited) lost += 1;
  }
  for (const [id, bio] of ledger.bios) {
    if (ledger.uncertain.has(`b:${id}`)) continue;
    const { rows } = await db.query<{ bio: string }>('SELECT bio FROM users WHERE id = $1', [id]);
    if (rows[0]?.bio !== bio) lost += 1;
  }
  for (const slug of ledger.articles) {
    const { rowCount } = await db.query('SELECT 1 FROM articles WHERE slug = $1', [slug]);
    if (!rowCount) lost += 1;
  }
  return lost;
}

/**
 * API answers (both instances) that disagree with Postgres, for everything written: profiles (bio,
 * counts, the actor's `following`), articles (favoritesCount, the actor's `favorited`), the tag
 * list and the newest-articles page.
 */
async function staleEntries(
  db: pg.Client,
  apps: RunningApp[],
  users: User[],
  ledger: Ledger,
): Promise<{ stale: number; checked: number; staleKinds: Record<string, number> }> {
  let stale = 0;
  let checked = 0;
  const staleKinds: Record<string, number> = {};
  const check = (kind: string, ok: boolean) => {
    checked += 1;
    if (ok) return;
    stale += 1;
    staleKinds[kind] = (staleKinds[kind] ?? 0) + 1;
  };
  const byId = new Map(users.map((u) => [u.id, u]));
  for (const app of apps) {
    for (const user of users) {
      const { rows } = await db.query<{ bio: string | null; followers: string; articles: string }>(
        `SELECT bio,
                (SELECT count(*) FROM follows WHERE followee_id = u.id) AS followers,
                (SELECT count(*) FROM articles WHERE author_id = u.id) AS articles
         FROM users u WHERE id = $1`,
        [user.id],
      );
      const { status, json } = await call(app, 'GET', `/api/profiles/${user.username}`);
      check(
        'profile (bio, counts)',
        status === 200 &&
          json.profile?.bio === rows[0].bio &&
          json.profile?.followersCount === Number(rows[0].followers) &&
          json.profile?.articlesCount === Number(rows[0].articles),
      );
    }
    for (const key of ledger.follows.keys()) {
      const [a, b] = key.split(':').map(Number);
      const { rowCount } = await db.query(
        'SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2',
        [a, b],
      );
      const { status, json } = await call(
        app,
        'GET',
        `/api/profiles/${byId.get(b)!.username}`,
        byId.get(a)!.token,
      );
      check('following flag', status === 200 && json.profile?.following === Boolean(rowCount));
    }
    for (const key of ledger.favorites.keys()) {
      const [u, slug] = [Number(key.slice(0, key.indexOf(':'))), key.slice(key.indexOf(':') + 1)];
      const { rows } = await db.query<{ count: number; mine: boolean }>(
        `SELECT a.favorites_count AS count,
                EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = $1) AS mine
         FROM articles a WHERE a.slug = $2`,
        [u, slug],
      );
      const { status, json } = await call(app, 'GET', `/api/articles/${slug}`, byId.get(u)!.token);
      check(
        'article (favorites)',
        status === 200 &&
          json.article?.favoritesCount === rows[0].count &&
          json.article?.favorited === rows[0].mine,
      );
    }
    const tags = (await db.query<{ tag: string }>('SELECT DISTINCT tag FROM article_tags')).rows;
    const apiTags = await call(app, 'GET', '/api/tags');
    check(
      'tag list',
      apiTags.status === 200 &&
        JSON.stringify([...(apiTags.json.tags ?? [])].sort()) ===
          JSON.stringify(tags.map((t) => t.tag).sort()),
    );
    const newest = await db.query<{ slug: string }>(
      'SELECT slug FROM articles ORDER BY created_at DESC, id DESC LIMIT 10',
    );
    const page = await call(app, 'GET', '/api/articles?limit=10');
    check(
      'newest page',
      page.status === 200 &&
        JSON.stringify((page.json.articles ?? []).map((a: { slug: string }) => a.slug)) ===
          JSON.stringify(newest.rows.map((r) => r.slug)),
    );
  }
  return { stale, checked, staleKinds };
}

/** Leaderboard entries and per-user stats that disagree with Postgres. */
async function drift(db: pg.Client, app: RunningApp, admin: User, users: User[]): Promise<number> {
  const truth = await db.query<{
    id: number;
    username: string;
    followers: string;
    following: string;
    articles: string;
    likes: string;
  }>(
    `SELECT u.id, u.username,
            (SELECT count(*) FROM follows WHERE followee_id = u.id) AS followers,
            (SELECT count(*) FROM follows WHERE follower_id = u.id) AS following,
            (SELECT count(*) FROM articles WHERE author_id = u.id) AS articles,
            (SELECT coalesce(sum(favorites_count), 0) FROM articles WHERE author_id = u.id) AS likes
     FROM users u`,
  );
  let wrong = 0;
  for (const metric of ['followers', 'following', 'articles', 'likes'] as const) {
    const expected = new Map(
      truth.rows.filter((r) => Number(r[metric]) > 0).map((r) => [r.username, Number(r[metric])]),
    );
    const board = await call(
      app,
      'GET',
      `/api/admin/leaderboards/${metric}?limit=100`,
      admin.token,
    );
    if (board.status !== 200) {
      wrong += expected.size;
      continue;
    }
    const seen = new Map<string, number>(
      (board.json.entries ?? []).map((e: { profile: { username: string }; score: number }) => [
        e.profile.username,
        e.score,
      ]),
    );
    for (const [name, score] of expected) if (seen.get(name) !== score) wrong += 1;
    for (const name of seen.keys()) if (!expected.has(name)) wrong += 1;
    if (board.json.total !== expected.size) wrong += 1;
  }
  for (const user of users) {
    const row = truth.rows.find((r) => r.id === user.id)!;
    const { status, json } = await call(app, 'GET', `/api/profiles/${user.username}/stats`);
    const ok =
      status === 200 &&
      (['followers', 'following', 'articles', 'likes'] as const).every(
        (m) => json.stats?.[m] === Number(row[m]),
      );
    if (!ok) wrong += 1;
  }
  return wrong;
}

interface Row {
  fault: string;
  requests: number;
  errors5xx: number;
  status503: number;
  timeouts: number;
  p99Fault: number;
  lost: number;
  stale: string;
  driftBefore: number;
  driftAfter: number;
  /** Which kinds of API answers were stale, and how many. */
  staleKinds: Record<string, number>;
  /** Which routes answered 503, and how often. */
  unavailableByRoute: Record<string, number>;
}

async function main(): Promise<void> {
  mkdirSync('bench/results', { recursive: true });
  const admin = new URL(DATABASE_URL);
  admin.pathname = '/postgres';
  const adminDb = new pg.Client({ connectionString: admin.toString() });
  await adminDb.connect();
  await adminDb.query('DROP DATABASE IF EXISTS conduit_chaos WITH (FORCE)');
  await adminDb.end();

  const redis = new RedisServerProcess(REDIS_PORT);
  await redis.start();
  const proxies = PROXY_PORTS.map((port) => ({
    port,
    proxy: new TcpProxy('127.0.0.1', REDIS_PORT),
  }));
  for (const { port, proxy } of proxies) await proxy.start(port);
  const env = (proxyPort: number) => ({
    DATABASE_URL,
    REDIS_URL: `redis://127.0.0.1:${proxyPort}/0`,
    REDIS_KEY_PREFIX: 'chaos:',
    RECONCILE_ENABLED: 'false',
    ADMIN_EMAILS: ADMIN_EMAIL,
    LOG_LEVEL: 'error',
    JWT_SECRET: 'chaos-secret-that-is-long-enough-for-production-use',
  });
  const apps: RunningApp[] = [];
  const db = new pg.Client({ connectionString: DATABASE_URL });
  const rows: Row[] = [];
  try {
    apps.push(await startApp(env(PROXY_PORTS[0])));
    apps.push(await startApp(env(PROXY_PORTS[1])));
    await db.connect();

    process.stderr.write(`chaos: registering ${USERS} users ...\n`);
    const register = async (username: string, email: string): Promise<User> => {
      const { status, json } = await call(apps[0], 'POST', '/api/users', undefined, {
        user: { username, email, password: PASSWORD },
      });
      if (status !== 201) throw new Error(`registering ${username}: ${status}`);
      const { rows: found } = await db.query<{ id: number }>(
        'SELECT id FROM users WHERE username = $1',
        [username],
      );
      return { id: found[0].id, username, email, token: json.user!.token };
    };
    const adminUser = await register('chaosadmin', ADMIN_EMAIL);
    const users: User[] = [];
    for (let i = 0; i < USERS; i++)
      users.push(await register(`chaos${i}`, `chaos${i}@example.com`));
    const slugs: string[] = [];
    for (const user of users) {
      const { json } = await call(apps[0], 'POST', '/api/articles', user.token, {
        article: {
          title: `seed ${user.username}`,
          description: 'd',
          body: 'b',
          tagList: [pick(TAGS)],
        },
      });
      slugs.push(json.article!.slug);
    }

    const reconcile = async () => {
      const run = await runNodeScript('dist/reconciliation/reconcile.cli.js', [], {
        ...env(REDIS_PORT),
        LOG_LEVEL: 'error',
      });
      if (run.code !== 0) process.stderr.write(`chaos: reconciliation failed: ${run.stderr}\n`);
    };

    const phase = async (fault: string, inject: () => Promise<void>): Promise<void> => {
      process.stderr.write(`chaos: ${fault} ...\n`);
      const ledger = new Ledger();
      const load = new Load(apps, users, slugs, ledger);
      load.start();
      await sleep(2000);
      const faultStart = performance.now();
      await inject();
      const faultEnd = performance.now();
      load.writes = false;
      await sleep(3000);
      await load.stop();
      await sleep(SETTLE_MS);
      const during = load.samples.filter((s) => s.start >= faultStart && s.start < faultEnd);
      const lost = await lostWrites(db, ledger);
      const { stale, checked, staleKinds } = await staleEntries(db, apps, users, ledger);
      const driftBefore = await drift(db, apps[0], adminUser, users);
      await reconcile();
      const driftAfter = await drift(db, apps[0], adminUser, users);
      rows.push({
        fault,
        requests: load.samples.length,
        errors5xx: load.samples.filter((s) => s.status >= 500 && s.status !== 503).length,
        status503: load.samples.filter((s) => s.status === 503).length,
        timeouts: load.samples.filter((s) => s.status === 0).length,
        p99Fault: Math.round(p99(during)),
        lost,
        stale: `${stale}/${checked}`,
        staleKinds,
        driftBefore,
        driftAfter,
        unavailableByRoute: countBy(
          load.samples.filter((s) => s.status === 503).map((s) => s.route),
        ),
      });
      process.stderr.write(`chaos: ${fault}: ${ledger.acknowledged} acknowledged writes\n`);
    };

    const seconds = FAULT_SECONDS * 1000;
    await phase('none (baseline)', async () => {
      await sleep(seconds);
    });
    await phase('Redis killed, restarted empty', async () => {
      await redis.kill();
      await sleep(seconds);
      await redis.start();
    });
    await phase(`Redis frozen (SIGSTOP ${FAULT_SECONDS} s)`, async () => {
      redis.freeze();
      await sleep(seconds);
      redis.thaw();
    });
    await phase('instance 1 partitioned from Redis', async () => {
      await proxies[0].proxy.cut();
      await sleep(seconds);
      await proxies[0].proxy.restore();
    });
    await phase('articles table locked', async () => {
      const locker = new pg.Client({ connectionString: DATABASE_URL });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE articles IN ACCESS EXCLUSIVE MODE');
      await sleep(seconds);
      await locker.query('ROLLBACK');
      await locker.end();
    });
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await db.end().catch(() => undefined);
    for (const { proxy } of proxies) await proxy.cut();
    await redis.kill();
  }

  const header =
    '| fault | requests | 5xx (not 503) | 503 | client timeouts | p99 during fault ms | acked writes lost | stale after quiescence | drift before → after 1 reconciliation |';
  const lines = rows.map(
    (r) =>
      `| ${r.fault} | ${r.requests} | ${r.errors5xx} | ${r.status503} | ${r.timeouts} | ${r.p99Fault} | ${r.lost} | ${r.stale} | ${r.driftBefore} → ${r.driftAfter} |`,
  );
  const table = [header, '|---|---|---|---|---|---|---|---|---|', ...lines].join('\n');
  console.log(table);
  for (const row of rows) {
    const routes = Object.entries(row.unavailableByRoute);
    if (routes.length > 0) {
      console.log(`503s during "${row.fault}": ${routes.map(([r, n]) => `${r} ${n}`).join(', ')}`);
    }
    const kinds = Object.entries(row.staleKinds);
    if (kinds.length > 0) {
      console.log(`stale after "${row.fault}": ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    }
  }
  const file = `bench/results/chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ workers: WORKERS, users: USERS, rows }, null, 2));
  process.stderr.write(`chaos: results written to ${file}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
