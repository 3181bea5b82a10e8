import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createClient } from 'redis';
import type { LoadRequest } from './load.js';
import { paced, type PacedResult } from './paced.js';
import { cpuMs, startApp, startWorker, type RunningApp, type RunningWorker } from './processes.js';
import { flag, numberOption, optionText } from './options.js';
import { apiRequest } from './api.js';

/**
 * Feed freshness under load (issue #14): while a mixed read/write load runs against the app, how
 * long until
 * - a new article is in every follower's feed (its author is not a celebrity, so it is fanned out),
 * - an unfollow takes effect (none of the author's articles left on the follower's feed page),
 * - a follow again brings the author's articles back,
 * - a delete takes effect in every follower's feed.
 * Each is timed from the write's response (the write has committed) to the first feed page that
 * shows the change, polled per follower every POLL_MS through the API, with its data checked (the
 * article's slug is or is not on the page, by the right author). The same changes are also timed
 * in the followers' timeline zsets in Redis (the fan-out job done), polled every 5 ms, because the
 * API may answer from Postgres while a timeline waits for its job (see docs/ARCHITECTURE.md).
 *
 *   npm run bench:freshness [-- --authors 20 --unfollows 5 --rate 400 --url URL --workers-apart]
 *
 * --workers-apart runs the API with QUEUE_WORKERS=false and the queue workers in a process of
 * their own (`node dist/worker.js`, same environment), as README "Queues" describes for scaling
 * them apart. The script checks who ran the timeline jobs: BullMQ records the worker's name
 * (`<host>:<pid>`) on each job, and the API's /metrics counts the attempts its own workers made.
 *
 * Runs on the seeded database in DATABASE_URL (`npm run seed -- --scale large`) and the app's Redis
 * (REDIS_URL, REDIS_KEY_PREFIX), starting the built app unless --url names a running one (then with
 * the same REDIS_KEY_PREFIX and a THROTTLE_ADDRESS_LIMIT that allows a few hundred logins).
 * It creates and deletes its articles and restores every follow it removes.
 */
const AUTHORS = numberOption('--authors', 20);
const UNFOLLOWS_PER_AUTHOR = numberOption('--unfollows', 5);
const RATE = numberOption('--rate', 400);
/** Authors with this many followers (non-celebrities: far below FANOUT_MAX_FOLLOWERS). */
const MIN_FOLLOWERS = numberOption('--min-followers', 20);
const MAX_FOLLOWERS = numberOption('--max-followers', 60);
/** API without workers, and `node dist/worker.js` beside it (README "Queues"). */
const WORKERS_APART = flag('--workers-apart');
const POLL_MS = 20;
const TIMEOUT_MS = 5_000;
const TARGET_MS = 1_000;
const SEED_PASSWORD = 'seed-password';
const METRICS_TOKEN = randomBytes(24).toString('hex');

try {
  process.loadEnvFile('.env');
} catch {
  // defaults
}
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const PREFIX = process.env.REDIS_KEY_PREFIX ?? 'conduit:';

interface User {
  id: number;
  username: string;
  email: string;
  token?: string;
}
interface Probe {
  author: User;
  followers: User[];
}

/** Milliseconds per follower (or per unfollow) for each change; `missed` never showed it. */
class Samples {
  readonly ms: number[] = [];
  missed = 0;
  /** Timeline gone before the change could be seen there (dropped, rebuilt on its next read). */
  skipped = 0;
}
const events = {
  createdFeed: new Samples(),
  createdTimeline: new Samples(),
  unfollowFeed: new Samples(),
  unfollowTimeline: new Samples(),
  refollowFeed: new Samples(),
  deletedFeed: new Samples(),
  deletedTimeline: new Samples(),
};
const writeMs: number[] = [];

type Json = Record<string, unknown>;
type Redis = ReturnType<typeof createClient>;

async function call(
  app: RunningApp,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Json> {
  const { status, json } = await apiRequest(app.url, method, path, { token, body });
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
  return json;
}

/** The authors (slug, username) on the first page of the user's feed. */
async function feedPage(app: RunningApp, user: User): Promise<{ slug: string; author: string }[]> {
  const body = await call(app, 'GET', '/api/articles/feed?limit=20', user.token);
  return ((body.articles ?? []) as Json[]).map((article) => ({
    slug: article.slug as string,
    author: (article.author as Json).username as string,
  }));
}

/**
 * Polls each user's feed (one request in flight per user, POLL_MS apart) until `shows` holds for
 * its page; returns each user's time from `since`, or undefined when it never did in TIMEOUT_MS.
 */
async function untilEveryFeed(
  app: RunningApp,
  users: User[],
  since: number,
  shows: (page: { slug: string; author: string }[]) => boolean,
): Promise<(number | undefined)[]> {
  return Promise.all(
    users.map(async (user) => {
      for (;;) {
        const page = await feedPage(app, user);
        const now = performance.now();
        if (shows(page)) return now - since;
        if (now - since > TIMEOUT_MS) return undefined;
        await sleep(POLL_MS);
      }
    }),
  );
}

/**
 * Polls the users' timeline zsets (one pipelined round trip every 5 ms) until `member` is in each
 * (`present`) or gone from each; a timeline that does not exist counts as skipped for a presence
 * and as gone for an absence.
 */
async function untilEveryTimeline(
  redis: Redis,
  users: User[],
  member: string,
  present: boolean,
  since: number,
  into: Samples,
): Promise<void> {
  const waiting = new Set(users.map((user) => user.id));
  while (waiting.size > 0) {
    const ids = [...waiting];
    const batch = redis.multi();
    for (const id of ids) {
      batch.exists(timelineKey(id));
      batch.zScore(timelineKey(id), member);
    }
    const replies = (await batch.exec()) as unknown[];
    const now = performance.now();
    ids.forEach((id, i) => {
      const exists = replies[2 * i] === 1;
      const there = replies[2 * i + 1] !== null;
      if (present && !exists) {
        into.skipped += 1;
        waiting.delete(id);
      } else if (there === present) {
        into.ms.push(now - since);
        waiting.delete(id);
      }
    });
    if (now - since > TIMEOUT_MS) {
      into.missed += waiting.size;
      return;
    }
    await sleep(5);
  }
}

const timelineKey = (userId: number) => `${PREFIX}user:{${userId}}:timeline`;
const idMember = (id: number) => String(id).padStart(10, '0');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(into: Samples, times: (number | undefined)[]): void {
  for (const time of times) {
    if (time === undefined) into.missed += 1;
    else into.ms.push(time);
  }
}

/** Authors of MIN..MAX followers, each with every follower, and the load's users (disjoint). */
async function pickUsers(db: pg.Client) {
  const authors = (
    await db.query<User & { followers: number }>(
      `SELECT u.id, u.username, u.email FROM users u
         JOIN (SELECT followee_id FROM follows GROUP BY followee_id
               HAVING count(*) BETWEEN $1 AND $2) f ON f.followee_id = u.id
        ORDER BY random() LIMIT $3`,
      [MIN_FOLLOWERS, MAX_FOLLOWERS, AUTHORS],
    )
  ).rows;
  const probes: Probe[] = [];
  for (const author of authors) {
    const followers = (
      await db.query<User>(
        `SELECT u.id, u.username, u.email FROM follows f JOIN users u ON u.id = f.follower_id
          WHERE f.followee_id = $1 ORDER BY u.id`,
        [author.id],
      )
    ).rows;
    probes.push({ author, followers });
  }
  const probeIds = new Set(probes.flatMap((p) => [p.author.id, ...p.followers.map((f) => f.id)]));
  // The load's viewers follow someone who wrote something, so their feed reads are real work.
  const viewers = (
    await db.query<User>(
      `SELECT u.id, u.username, u.email FROM users u
        WHERE EXISTS (SELECT 1 FROM follows f JOIN articles a ON a.author_id = f.followee_id
                       WHERE f.follower_id = u.id)
        ORDER BY random() LIMIT 80`,
    )
  ).rows
    .filter((user) => !probeIds.has(user.id))
    .slice(0, 50);
  const profiles = (
    await db.query<{ id: number; username: string }>(
      `SELECT id, username FROM users ORDER BY random() LIMIT 2000`,
    )
  ).rows
    .filter((user) => !probeIds.has(user.id))
    .map((user) => `/api/profiles/${encodeURIComponent(user.username)}`);
  const articles = (
    await db.query<{ slug: string }>(`SELECT slug FROM articles ORDER BY random() LIMIT 1000`)
  ).rows.map((row) => `/api/articles/${row.slug}`);
  return { probes, viewers, profiles, articles };
}

async function loginAll(app: RunningApp, users: User[]): Promise<void> {
  for (let i = 0; i < users.length; i += 8) {
    await Promise.all(
      users.slice(i, i + 8).map(async (user) => {
        const body = await call(app, 'POST', '/api/users/login', undefined, {
          user: { email: user.email, password: SEED_PASSWORD },
        });
        user.token = (body.user as Json).token as string;
      }),
    );
  }
}

/** One author's round: create, unfollow and follow again for a few followers, delete. */
async function probe(app: RunningApp, db: pg.Client, redis: Redis, p: Probe): Promise<void> {
  const { author, followers } = p;
  const title = `freshness ${randomBytes(6).toString('hex')}`;
  let start = performance.now();
  const created = await call(app, 'POST', '/api/articles', author.token, {
    article: { title, description: 'feed freshness probe', body: 'probe' },
  });
  let since = performance.now();
  writeMs.push(since - start);
  const slug = (created.article as Json).slug as string;
  const [{ id }] = (
    await db.query<{ id: number }>(`SELECT id FROM articles WHERE slug = $1`, [slug])
  ).rows;
  const isThere = (page: { slug: string }[]) => page.some((a) => a.slug === slug);
  const [feedTimes] = await Promise.all([
    untilEveryFeed(app, followers, since, isThere),
    untilEveryTimeline(redis, followers, idMember(id), true, since, events.createdTimeline),
  ]);
  record(events.createdFeed, feedTimes);

  for (const follower of followers.slice(0, UNFOLLOWS_PER_AUTHOR)) {
    const profile = `/api/profiles/${encodeURIComponent(author.username)}/follow`;
    start = performance.now();
    await call(app, 'DELETE', profile, follower.token);
    since = performance.now();
    writeMs.push(since - start);
    const [gone] = await Promise.all([
      untilEveryFeed(app, [follower], since, (page) =>
        page.every((a) => a.author !== author.username),
      ),
      untilEveryTimeline(redis, [follower], idMember(id), false, since, events.unfollowTimeline),
    ]);
    record(events.unfollowFeed, gone);
    start = performance.now();
    await call(app, 'POST', profile, follower.token);
    since = performance.now();
    writeMs.push(since - start);
    record(events.refollowFeed, await untilEveryFeed(app, [follower], since, isThere));
  }

  start = performance.now();
  await call(app, 'DELETE', `/api/articles/${slug}`, author.token);
  since = performance.now();
  writeMs.push(since - start);
  const [deleted] = await Promise.all([
    untilEveryFeed(app, followers, since, (page) => !isThere(page)),
    untilEveryTimeline(redis, followers, idMember(id), false, since, events.deletedTimeline),
  ]);
  record(events.deletedFeed, deleted);
}

async function main(): Promise<void> {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const { probes, viewers, profiles, articles } = await pickUsers(db);
  if (probes.length < AUTHORS || viewers.length < 20)
    throw new Error(
      `found ${probes.length} authors with ${MIN_FOLLOWERS}-${MAX_FOLLOWERS} followers: seed the database (npm run seed -- --scale large)`,
    );
  const url = optionText('--url');
  if (url !== undefined && WORKERS_APART)
    throw new Error('--workers-apart starts its own API and worker: leave out --url');
  const env = {
    JWT_SECRET: randomBytes(48).toString('base64'),
    METRICS_TOKEN,
    THROTTLE_ADDRESS_LIMIT: '100000',
    VIEWS_FLUSH_INTERVAL_MS: '10000',
    RECONCILE_ENABLED: 'false',
  };
  const app: RunningApp =
    url !== undefined
      ? { url, child: undefined, stop: () => Promise.resolve() }
      : await startApp(WORKERS_APART ? { ...env, QUEUE_WORKERS: 'false' } : env);
  let worker: RunningWorker | undefined;
  const controller = new AbortController();
  try {
    if (WORKERS_APART) {
      worker = startWorker(env);
      await untilWorkerConnected(redis, worker);
    }
    const followers = probes.flatMap((p) => p.followers);
    process.stderr.write(
      `freshness: logging in ${probes.length} authors, ${followers.length} followers, ${viewers.length} load users ...\n`,
    );
    await loginAll(app, [...probes.map((p) => p.author), ...followers, ...viewers]);
    // A first read builds each follower's timeline, so later changes reach it through the jobs.
    for (let k = 0; k < followers.length; k += 20)
      await Promise.all(followers.slice(k, k + 20).map((user) => feedPage(app, user)));

    const random = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];
    const tokens = viewers.map((viewer) => viewer.token!);
    const mixed = (): LoadRequest => {
      const roll = Math.random();
      const token = random(tokens);
      if (roll < 0.35) return { path: random(profiles), token };
      if (roll < 0.7) return { path: random(articles), token };
      if (roll < 0.9) return { path: '/api/articles/feed', token };
      const method = Math.random() < 0.5 ? 'POST' : 'DELETE';
      return roll < 0.95
        ? { method, path: `${random(profiles)}/follow`, token }
        : { method, path: `${random(articles)}/favorite`, token };
    };
    process.stderr.write(`freshness: mixed load at ${RATE} req/s, ${probes.length} authors ...\n`);
    const load = paced(app.url, mixed, {
      rate: RATE,
      seconds: 3_600,
      warmupSeconds: 0,
      signal: controller.signal,
    });
    await sleep(2_000); // the load is running before the first probe
    const readsBefore = await feedReads(app);
    const probesFrom = Date.now();
    const cpuBefore = processCpu(app, worker);
    for (const p of probes) {
      await probe(app, db, redis, p);
      await sleep(250);
    }
    const cpuAfter = processCpu(app, worker);
    const seconds = (Date.now() - probesFrom) / 1000;
    const readsAfter = await feedReads(app);
    controller.abort();
    const loadResult = await load;
    printTable(probes, loadResult);
    if (app.child) {
      const ran = await whoRanTimelineJobs(redis, probesFrom);
      const apiAttempts = await apiTimelineAttempts(app);
      const names = [...ran.by].map(([name, n]) => `${name} ${n}`).join(', ');
      const expected = `${hostname()}:${(worker?.child ?? app.child).pid}`;
      console.log(
        `timeline jobs finished during the probes (of the last ${ran.kept} kept; ${ran.trimmed} trimmed while read): ` +
          `run by ${names || 'nobody'}; ` +
          `expected ${expected} (${WORKERS_APART ? 'the worker process' : 'the API process'}); ` +
          `the API's own workers made ${apiAttempts} attempts in all`,
      );
      const cpu = (name: string, i: number) =>
        `${name} ${((cpuAfter[i] - cpuBefore[i]) / 1000).toFixed(1)} s (${((cpuAfter[i] - cpuBefore[i]) / 10 / seconds).toFixed(0)} % of a core)`;
      console.log(
        `CPU during the probes (${seconds.toFixed(1)} s): ${cpu('API', 0)}` +
          (worker ? `, ${cpu('worker', 1)}` : ''),
      );
      const right =
        ran.by.size === 1 && ran.by.has(expected) && (!WORKERS_APART || apiAttempts === 0);
      if (!right) {
        console.log('the timeline jobs did not all run in the expected process');
        process.exitCode = 1;
      }
    }
    if (readsBefore && readsAfter)
      console.log(
        `feed pages during the probes (load included): ${readsAfter.timeline - readsBefore.timeline} ` +
          `from timelines, ${readsAfter.postgres - readsBefore.postgres} from Postgres, of which ` +
          `${readsAfter.lag - readsBefore.lag} because a timeline waited for its job`,
      );
  } finally {
    controller.abort();
    await worker?.stop();
    await app.stop();
    await redis.quit();
    await db.end();
  }
}

const queueClientPrefix = (queue: string) =>
  `${PREFIX}{queues}:${Buffer.from(queue).toString('base64')}`;

/**
 * Waits until the worker process's timeline worker is connected: BullMQ names a worker's Redis
 * connections `<prefix>:<base64 queue>:w:<worker name>`, and the app names its workers
 * `<host>:<pid>` (src/queue/queue-processor.ts).
 */
async function untilWorkerConnected(redis: Redis, worker: RunningWorker): Promise<void> {
  const name = `${queueClientPrefix('timelines')}:w:${hostname()}:${worker.child.pid}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (worker.child.exitCode !== null)
      throw new Error(`the worker exited with code ${worker.child.exitCode}`);
    const clients = await redis.sendCommand<string>(['CLIENT', 'LIST']);
    if (clients.split('\n').some((line) => line.includes(` name=${name} `))) return;
    if (Date.now() > deadline) throw new Error('the worker did not connect within 30 s');
    await sleep(100);
  }
}

/** Who ran the timeline jobs finished since `since` (BullMQ's `processedBy`, kept jobs only). */
async function whoRanTimelineJobs(redis: Redis, since: number) {
  const queue = `${PREFIX}{queues}:timelines`;
  const ids = await redis.zRangeByScore(`${queue}:completed`, since, '+inf');
  const by = new Map<string, number>();
  let trimmed = 0;
  for (const id of ids) {
    const job = `${queue}:${id}`;
    const [exists, name] = (await redis.multi().exists(job).hGet(job, 'pb').exec()) as unknown as [
      number,
      string | null,
    ];
    // Completed jobs are trimmed to QUEUE_KEEP_COMPLETED while this reads them.
    if (exists === 0) {
      trimmed += 1;
      continue;
    }
    const who = name ?? '(not recorded)';
    by.set(who, (by.get(who) ?? 0) + 1);
  }
  return { by, trimmed, kept: await redis.zCard(`${queue}:completed`) };
}

/** Timeline job attempts the API's own workers made (its queue_job_duration_seconds). */
async function apiTimelineAttempts(app: RunningApp): Promise<number> {
  const text = await metricsText(app);
  let attempts = 0;
  for (const match of text.matchAll(
    /^queue_job_duration_seconds_count\{[^}]*queue="timelines"[^}]*\} (\d+)/gm,
  ))
    attempts += Number(match[1]);
  return attempts;
}

async function metricsText(app: RunningApp): Promise<string> {
  const response = await fetch(`${app.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  return response.text();
}

/** CPU ms used so far by the API and (apart) the worker process. */
function processCpu(app: RunningApp, worker: RunningWorker | undefined): number[] {
  return [app.child?.pid, worker?.child.pid].map((pid) => (pid ? (cpuMs(pid) ?? 0) : 0));
}

/** The app's feed_reads_total by source and feed_timeline_lag_total (undefined with --url). */
async function feedReads(app: RunningApp) {
  if (!app.child) return undefined;
  const text = await metricsText(app);
  const metric = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    timeline: metric(/^feed_reads_total\{source="timeline"\} (\d+)/m),
    postgres: metric(/^feed_reads_total\{source="postgres"\} (\d+)/m),
    lag: metric(/^feed_timeline_lag_total (\d+)/m),
  };
}

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(1));
  return { p50: fmt(at(0.5)), p99: fmt(at(0.99)), max: fmt(sorted[sorted.length - 1]) };
}

function printTable(probes: Probe[], load: PacedResult): void {
  const rows: [string, Samples][] = [
    ['article created: on every follower feed page (API)', events.createdFeed],
    ['article created: in every follower timeline (job)', events.createdTimeline],
    ['unfollow: author gone from the feed page (API)', events.unfollowFeed],
    ['unfollow: article gone from the timeline (job)', events.unfollowTimeline],
    ['follow again: article back on the feed page (API)', events.refollowFeed],
    ['article deleted: off every follower feed page (API)', events.deletedFeed],
    ['article deleted: off every follower timeline (job)', events.deletedTimeline],
  ];
  const header = ['change (ms from the write response)', 'samples', 'p50', 'p99', 'max', 'missed'];
  const lines = rows.map(([name, s]) => {
    const { p50, p99, max } = stats(s.ms);
    const skipped = s.skipped ? ` (${s.skipped} timelines dropped)` : '';
    return [name, String(s.ms.length) + skipped, p50, p99, max, String(s.missed)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
  const followers = probes.reduce((n, p) => n + p.followers.length, 0);
  const writes = stats(writeMs);
  console.log(
    `\n${probes.length} authors (${MIN_FOLLOWERS}-${MAX_FOLLOWERS} followers, ${followers} in all), ` +
      `${UNFOLLOWS_PER_AUTHOR} unfollows each; probe writes p50 ${writes.p50} ms, p99 ${writes.p99} ms`,
  );
  console.log(
    `queue workers: ${WORKERS_APART ? 'apart (API with QUEUE_WORKERS=false + node dist/worker.js)' : 'in the API process'}`,
  );
  console.log(
    `mixed load beside it: ${load.requestsPerSecond} req/s (asked ${RATE}), p50 ${load.p50} ms, ` +
      `p99 ${load.p99} ms, ${load.errors} errors of ${load.total} (the generator sent ` +
      `${load.generator.sendLagP99} ms late at p99, its loop delay p99 ${load.generator.loopDelayP99} ms)`,
  );
  const api = [events.createdFeed, events.unfollowFeed, events.deletedFeed];
  const met = api.every((s) => s.missed === 0 && Number(stats(s.ms).p99) <= TARGET_MS);
  console.log(`target (p99 <= ${TARGET_MS} ms, nothing missed): ${met ? 'met' : 'MISSED'}`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/freshness-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      {
        when: new Date().toISOString(),
        rate: RATE,
        workersApart: WORKERS_APART,
        load,
        authors: probes.length,
        followers,
        events: Object.fromEntries(
          Object.entries(events).map(([name, s]) => [
            name,
            { samples: s.ms.length, missed: s.missed, skipped: s.skipped, ...stats(s.ms) },
          ]),
        ),
      },
      null,
      2,
    ),
  );
  console.log(`results written to ${file}`);
  if (!met) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`freshness failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
