import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { drive, type LoadRequest, type LoadResult } from './load.js';
import { paced, type PacedResult } from './paced.js';
import {
  cpuMs,
  npmScriptNodeOptions,
  peakRssMb,
  runNodeScript,
  startApp,
  type RunningApp,
} from './processes.js';
import { flag, numberOption, optionText } from './options.js';

/**
 * `npm run bench`: the built app in production mode against the seeded database, driven from this
 * separate process. Every figure is a ratio measured in one run (the machine is shared and noisy).
 * Reconciliation runs first (it builds the leaderboards), then every scenario checks its data once
 * (status, shape, page size, viewer flags) and stops the bench on wrong data rather than print a
 * number; the bytes of that checked response are printed with it. Each scenario's ratios are to
 * the constant route (`/health/live`) measured right before it (--baseline-seconds N, default 4),
 * so a drift of the machine's speed during the bench moves both sides alike.
 * Options: --seconds N (per run, default 8), --connections N (default 50), --skip-reconcile (skips
 * the medium seed and its growth ratio; the large reconciliation always runs),
 * --url URL [--uncached-url URL] to drive servers you started instead of starting them,
 * --app-dir DIR to start the build in DIR/dist instead of this checkout's (a before/after pair),
 * --only a,b to measure only the scenarios whose names contain one of these words (the baseline
 * always runs; every scenario's data is still checked), --max-generator-lag MS (default 5: a
 * half-load run whose generator issued its requests later than that at p99 is not the app's figure).
 */
const SECONDS = numberOption('--seconds', 8);
/** The constant route's run right before each scenario (its ratios are to that run). */
const BASELINE_BEFORE_SECONDS = numberOption('--baseline-seconds', 4);
const MAX_GENERATOR_LAG_MS = numberOption('--max-generator-lag', 5);
const CONNECTIONS = numberOption('--connections', 50);
const SEED_PASSWORD = 'seed-password';
const APP_DIR = optionText('--app-dir') ?? '.';
const ONLY = optionText('--only')?.split(',').filter(Boolean);
/** Whether `--only` selects the scenario (the baseline is always measured). */
const selected = (name: string) =>
  !ONLY || name.startsWith('baseline') || ONLY.some((word) => name.includes(word));

try {
  process.loadEnvFile('.env');
} catch {
  // defaults
}
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/conduit';

interface Row {
  scenario: string;
  max: LoadResult;
  half?: PacedResult;
  /**
   * The constant route measured right before this row (a shorter run): the row's ratios are to
   * it, so a machine whose speed drifts during the bench (other tenants) moves both alike.
   */
  baselineBefore?: { requestsPerSecond: number; cpuUsPerRequest?: number };
  ratioToBaseline?: number;
  /** The baseline's CPU per request over this row's: the ratio that other load moves least. */
  cpuRatioToBaseline?: number;
  /** Bytes of one checked response body of the scenario (its data verified before the run). */
  bytes?: number;
  /** The app's CPU time per request during the max-throughput run, in microseconds. */
  cpuUsPerRequest?: number;
  /** The app's own stalls during the half-load run (see appStalls). */
  halfStalls?: AppStalls;
  note?: string;
}

/**
 * What stalled the app's event loop during a run, from its /metrics (prom-client's defaults): the
 * longest event-loop delay (its histogram is reset by each scrape, so a scrape right before the
 * run starts the window) and the major (mark-compact) GCs, count and total pause. A p99 at half
 * load well above p50 with a long loop delay and major GCs in the same window is the app's own
 * pause; without them, it is the machine's or the generator's.
 */
interface AppStalls {
  loopDelayMaxMs?: number;
  majorGcs?: number;
  majorGcMs?: number;
}

const MAJOR_GC_COUNT = 'nodejs_gc_duration_seconds_count{kind="major"}';
const MAJOR_GC_SUM = 'nodejs_gc_duration_seconds_sum{kind="major"}';

function appStalls(before: string | undefined, after: string | undefined): AppStalls {
  // prom-client prints a GC kind's series only once one such GC was observed: an app whose
  // /metrics was read (before and after) and lacks it has had none.
  const delta = (series: string) => {
    if (before === undefined || after === undefined) return undefined;
    return (seriesValue(after, series) ?? 0) - (seriesValue(before, series) ?? 0);
  };
  const loopMax = seriesValue(after, 'nodejs_eventloop_lag_max_seconds');
  const gcSeconds = delta(MAJOR_GC_SUM);
  return {
    loopDelayMaxMs: loopMax === undefined ? undefined : Number((loopMax * 1000).toFixed(1)),
    majorGcs: delta(MAJOR_GC_COUNT),
    majorGcMs: gcSeconds === undefined ? undefined : Number((gcSeconds * 1000).toFixed(1)),
  };
}

const random = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

async function login(app: RunningApp, email: string): Promise<string> {
  const response = await fetch(`${app.url}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: { email, password: SEED_PASSWORD } }),
  });
  if (!response.ok)
    throw new Error(`login as ${email} failed: ${response.status} (is the database seeded?)`);
  return ((await response.json()) as { user: { token: string } }).user.token;
}

async function warm(app: RunningApp, paths: string[], token?: string): Promise<void> {
  for (let i = 0; i < paths.length; i += 50) {
    await Promise.all(
      paths.slice(i, i + 50).map((path) =>
        fetch(`${app.url}${path}`, {
          headers: token ? { authorization: `Token ${token}` } : {},
        }).then((r) => r.arrayBuffer()),
      ),
    );
  }
}

/** Max throughput, then the same load capped at half of it, for the latency at a sane load. */
async function measure(
  name: string,
  url: string,
  next: () => LoadRequest,
  bytes?: number,
): Promise<Row | undefined> {
  if (!selected(name)) return undefined;
  process.stderr.write(`bench: ${name} ...\n`);
  const pid = appPids.get(url);
  const saturate = async (request: () => LoadRequest, seconds: number) => {
    const cpuBefore = pid === undefined ? undefined : cpuMs(pid);
    const result = await drive(url, request, { seconds, connections: CONNECTIONS });
    const cpuAfter = pid === undefined ? undefined : cpuMs(pid);
    const cpuUsPerRequest =
      cpuBefore !== undefined && cpuAfter !== undefined && result.total > 0
        ? Math.round(((cpuAfter - cpuBefore) * 1000) / result.total)
        : undefined;
    return { result, cpuUsPerRequest };
  };
  const baselineBefore = name.startsWith('baseline')
    ? undefined
    : await saturate(() => ({ path: '/health/live' }), BASELINE_BEFORE_SECONDS).then(
        ({ result, cpuUsPerRequest }) => ({
          requestsPerSecond: result.requestsPerSecond,
          cpuUsPerRequest,
        }),
      );
  const { result: max, cpuUsPerRequest } = await saturate(next, SECONDS);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let the saturated run drain
  // Latency at half the maximum rate, paced open-loop (see paced.ts for why not autocannon's rate).
  const metricsBefore = await metricsText(url);
  const half = await paced(url, next, {
    seconds: SECONDS,
    rate: Math.max(1, Math.round(max.requestsPerSecond / 2)),
  });
  const metricsAfter = await metricsText(url);
  const halfStalls = appStalls(metricsBefore, metricsAfter);
  // Errors under load make the row meaningless: it is printed (with what the errors were) and the
  // bench fails at the end, so the other rows of this run are not lost. So does a generator that
  // could not keep pace: its lateness is in every latency it measured (from the due time), so the
  // p99 at half load would be the generator's (or the machine's), not the app's.
  const notes = [
    max.errors > 0 && !name.startsWith('mixed')
      ? `${max.errors} errors under load (${max.errorKinds}): not a valid measurement`
      : undefined,
    half.generator.sendLagP99 > MAX_GENERATOR_LAG_MS
      ? `the generator lagged at half load (sent ${half.generator.sendLagP99} ms late at p99, ` +
        `limit ${MAX_GENERATOR_LAG_MS}; loop delay p99 ${half.generator.loopDelayP99} ms, ` +
        `CPU ${half.generator.cpuPercent} %, machine CPU pressure ` +
        `${half.generator.machineCpuPressurePercent ?? '-'} %): p99 @50% is not the app's`
      : undefined,
  ].filter((text): text is string => text !== undefined);
  const note = notes.length ? notes.join('; ') : undefined;
  if (note) failures.push(`${name}: ${note}`);
  sampleTier(url, metricsAfter);
  return { scenario: name, max, half, baselineBefore, bytes, note, cpuUsPerRequest, halfStalls };
}

/** The app's /metrics text, undefined when it cannot be read. */
async function metricsText(url: string): Promise<string | undefined> {
  if (!metricsToken) return undefined;
  try {
    const response = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    return await response.text();
  } catch {
    return undefined;
  }
}

/** The value of one series (`name` or `name{labels}` as printed) of a /metrics text. */
function seriesValue(text: string | undefined, series: string): number | undefined {
  const line = text?.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** METRICS_TOKEN of the apps this bench started. */
let metricsToken: string | undefined;
/** The largest `local_cache_bytes` read after a scenario, and the tier's cap, by app URL. */
const tierPeak = new Map<string, { bytes: number; cap: number }>();

/** Records the tier's size in `text`, the app's /metrics read after a scenario. */
function sampleTier(url: string, text: string | undefined): void {
  const bytes = seriesValue(text, 'local_cache_bytes');
  const cap = seriesValue(text, 'local_cache_max_bytes');
  if (bytes === undefined || cap === undefined) return;
  tierPeak.set(url, { bytes: Math.max(bytes, tierPeak.get(url)?.bytes ?? 0), cap });
}

/** The pid of each app this bench started, by URL (for its CPU time per request). */
const appPids = new Map<string, number>();

/** Scenarios whose run had errors under load (reported after the table). */
const failures: string[] = [];

/** A scenario's data was not what it claims to measure: the bench stops instead of printing it. */
class WrongDataError extends Error {}

/**
 * Fetches `path` once and checks what the scenario is about to measure: a 200 with a JSON body
 * that passes `verify` (which throws with a reason). Returns the body's size in bytes.
 */
async function checked(
  app: RunningApp,
  scenario: string,
  path: string,
  verify: (body: Record<string, unknown>) => void,
  token?: string,
): Promise<number> {
  const response = await fetch(`${app.url}${path}`, {
    headers: token ? { authorization: `Token ${token}` } : {},
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new WrongDataError(`${scenario}: GET ${path} answered ${response.status}: ${text}`);
  }
  try {
    verify(JSON.parse(text) as Record<string, unknown>);
  } catch (error) {
    throw new WrongDataError(
      `${scenario}: GET ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return Buffer.byteLength(text);
}

/** `feed_reads_total{source="timeline"}` of the app, from /metrics (0 when unreadable). */
async function timelineFeedReads(app: RunningApp): Promise<number> {
  return seriesValue(await metricsText(app.url), 'feed_reads_total{source="timeline"}') ?? 0;
}

async function fetchFeed(app: RunningApp, token: string): Promise<void> {
  await (
    await fetch(`${app.url}/api/articles/feed`, { headers: { authorization: `Token ${token}` } })
  ).text();
}

function expect(condition: boolean, reason: string): void {
  if (!condition) throw new Error(reason);
}

type Json = Record<string, unknown>;
const articlesOf = (body: Json) => (body.articles ?? []) as Json[];
const viewerFlagsPresent = (articles: Json[]) =>
  articles.every(
    (article) =>
      typeof article.favorited === 'boolean' &&
      typeof (article.author as Json | undefined)?.following === 'boolean',
  );
/** A list page of exactly 20 articles, summaries (no body), the viewer's flags on every one. */
function fullListPage(body: Json): void {
  const articles = articlesOf(body);
  expect(articles.length === 20, `expected a page of 20 articles, got ${articles.length}`);
  expect(viewerFlagsPresent(articles), 'an article lacks its favorited / author.following flag');
}

async function sample(db: pg.Client) {
  const users = (
    await db.query<{ username: string; email: string }>(
      `SELECT username, email FROM users ORDER BY random() LIMIT 2000`,
    )
  ).rows;
  // Bench viewers follow someone who wrote something: their feed is not empty.
  const viewers = (
    await db.query<{ email: string }>(
      `SELECT u.email FROM users u
        WHERE EXISTS (SELECT 1 FROM follows f JOIN articles a ON a.author_id = f.followee_id
                       WHERE f.follower_id = u.id)
        ORDER BY random() LIMIT 50`,
    )
  ).rows.map((row) => row.email);
  const popular =
    (
      await db.query<{ username: string }>(
        `SELECT u.username FROM users u JOIN (
           SELECT followee_id FROM follows GROUP BY followee_id HAVING count(*) >= 20 LIMIT 1
         ) f ON f.followee_id = u.id`,
      )
    ).rows[0]?.username ?? '';
  const slugs = (
    await db.query<{ slug: string }>(`SELECT slug FROM articles ORDER BY random() LIMIT 1000`)
  ).rows.map((row) => row.slug);
  const counts = (
    await db.query<{ users: number; follows: number; articles: number; favorites: number }>(`
    SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM follows)::int AS follows,
           (SELECT count(*) FROM articles)::int AS articles, (SELECT count(*) FROM favorites)::int AS favorites`)
  ).rows[0];
  return { users, viewers, popular, slugs, counts };
}

async function reconcileCost(databaseUrl: string, prefix: string) {
  const cli = 'dist/reconciliation/reconcile.cli.js';
  if (!existsSync(cli)) return undefined;
  const run = await runNodeScript(
    cli,
    [],
    { DATABASE_URL: databaseUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' },
    npmScriptNodeOptions('reconcile'),
  );
  if (run.code !== 0) throw new Error(`reconcile failed: ${run.stderr}`);
  return { seconds: Number(run.seconds.toFixed(2)), peakRssMb: Math.round(run.peakRssMb) };
}

async function main(): Promise<void> {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const { users, viewers, popular, slugs, counts } = await sample(db);
  await db.end();
  if (users.length < 100 || slugs.length < 100 || viewers.length < 50 || !popular) {
    throw new Error('the database is nearly empty: run `npm run seed -- --scale large` first');
  }
  // Reconciliation first: it builds the leaderboards and counters the scenarios read (a reseed
  // leaves them empty), and its cost on the large seed is one of the figures.
  process.stderr.write('bench: reconciliation (large = the seeded database) ...\n');
  const large = await reconcileCost(DATABASE_URL, process.env.REDIS_KEY_PREFIX ?? 'conduit:');
  const admin = 'user1@seed.test';
  const common = {
    JWT_SECRET: randomBytes(48).toString('base64'),
    ADMIN_EMAILS: admin,
    // Production mode requires a metrics token; the bench logs in 51 users from one address.
    METRICS_TOKEN: randomBytes(24).toString('hex'),
    THROTTLE_ADDRESS_LIMIT: '1000',
    VIEWS_FLUSH_INTERVAL_MS: '10000',
    // Measured on its own below: a scheduled run in the middle of a scenario would skew it.
    RECONCILE_ENABLED: 'false',
  };
  metricsToken = common.METRICS_TOKEN;
  // --url drives a server you started yourself (seeded, with ADMIN_EMAILS=user1@seed.test); the
  // cache-off twin then needs --uncached-url, or that scenario is left out.
  const given = (name: string): RunningApp | undefined => {
    const url = optionText(name);
    return url === undefined ? undefined : { url, child: undefined, stop: () => Promise.resolve() };
  };
  const cached = given('--url') ?? (await startApp({ ...common, CACHE_ENABLED: 'true' }, APP_DIR));
  const uncached = given('--url')
    ? given('--uncached-url')
    : selected('cache off')
      ? await startApp({ ...common, CACHE_ENABLED: 'false' }, APP_DIR)
      : undefined;
  for (const app of [cached, uncached])
    if (app?.child?.pid !== undefined) appPids.set(app.url, app.child.pid);
  /** Undefined for a scenario `--only` left out. */
  const measured: (Row | undefined)[] = [];
  let peakRss: number | undefined;
  try {
    const tokens = await Promise.all(viewers.map((email) => login(cached, email)));
    const adminToken = await login(cached, admin);
    const profilePaths = users.map((user) => `/api/profiles/${user.username}`);
    const articlePaths = slugs.map((slug) => `/api/articles/${slug}`);
    const tagsBody = (await (await fetch(`${cached.url}/api/tags`)).json()) as { tags: string[] };
    const tag = tagsBody.tags[0];
    if (!tag) throw new WrongDataError('GET /api/tags is empty: the database is not seeded');
    const listPath = '/api/articles?limit=20';
    const tagPath = `/api/articles?tag=${encodeURIComponent(tag)}&limit=20`;
    const boardPath = '/api/admin/leaderboards/followers?limit=100';
    const followersPath = `/api/profiles/${popular}/followers?limit=20`;

    // Every scenario's data, checked once before anything is measured.
    const profileShape = (body: Json) => {
      const profile = body.profile as Json | undefined;
      expect(typeof profile?.username === 'string', 'no profile.username');
      expect(typeof profile?.following === 'boolean', 'no profile.following flag');
    };
    const articleShape = (body: Json) => {
      const article = body.article as Json | undefined;
      expect(typeof article?.slug === 'string', 'no article.slug');
      expect(viewerFlagsPresent([article!]), 'no favorited / author.following flag');
    };
    const bytes = {
      profileAnon: await checked(cached, 'profile', profilePaths[0], profileShape),
      profileAuth: await checked(cached, 'profile', profilePaths[0], profileShape, tokens[0]),
      articleAnon: await checked(cached, 'article', articlePaths[0], articleShape),
      articleAuth: await checked(cached, 'article', articlePaths[0], articleShape, tokens[0]),
      listAnon: await checked(cached, 'list', listPath, fullListPage),
      listAuth: await checked(cached, 'list', listPath, fullListPage, tokens[0]),
      tagList: await checked(cached, 'tag list', tagPath, fullListPage, tokens[0]),
      followers: await checked(cached, 'follow list', followersPath, (body) => {
        const profiles = (body.profiles ?? []) as Json[];
        expect(profiles.length === 20, `expected 20 followers, got ${profiles.length}`);
        expect(
          profiles.every((profile) => typeof profile.following === 'boolean'),
          'a follower lacks its following flag',
        );
      }),
      feed: await checked(
        cached,
        'feed',
        '/api/articles/feed',
        (body) => expect(articlesOf(body).length > 0, 'the feed is empty'),
        tokens[0],
      ),
      leaderboard: await checked(
        cached,
        'leaderboard',
        boardPath,
        (body) => {
          const entries = (body.entries ?? body.leaderboard ?? body.users ?? []) as unknown[];
          expect(
            Array.isArray(entries) && entries.length >= 100,
            `the leaderboard holds ${Array.isArray(entries) ? entries.length : 0} entries, not 100 (was reconciliation run?)`,
          );
        },
        adminToken,
      ),
    };
    // Every token's feed must be non-empty too (a viewer who follows nobody measures nothing).
    for (const token of tokens) {
      await checked(
        cached,
        'feed',
        '/api/articles/feed?limit=1',
        (body) => expect(articlesOf(body).length > 0, 'a bench viewer has an empty feed'),
        token,
      );
    }
    // ... and served from the timelines (the reads above built them), not by the SQL fallback.
    if (common.METRICS_TOKEN && !given('--url')) {
      const before = await timelineFeedReads(cached);
      for (const token of tokens) await fetchFeed(cached, token);
      const served = (await timelineFeedReads(cached)) - before;
      if (served < tokens.length)
        throw new WrongDataError(
          `feed: only ${served} of ${tokens.length} pages came from the timelines (feed_reads_total)`,
        );
    }

    await warm(cached, profilePaths);
    await warm(cached, profilePaths, tokens[0]);
    await warm(cached, articlePaths);
    await warm(cached, [listPath, tagPath, followersPath, boardPath], adminToken);

    measured.push(
      await measure('baseline GET /health/live', cached.url, () => ({ path: '/health/live' })),
    );
    const anonymous = (paths: string[]) => () => ({ path: random(paths) });
    const authenticated = (paths: string[]) => () => ({
      path: random(paths),
      token: random(tokens),
    });
    measured.push(
      await measure('profile, anonymous', cached.url, anonymous(profilePaths), bytes.profileAnon),
    );
    measured.push(
      await measure(
        'profile, authenticated',
        cached.url,
        authenticated(profilePaths),
        bytes.profileAuth,
      ),
    );
    if (uncached) {
      measured.push(
        await measure(
          'profile, cache off',
          uncached.url,
          anonymous(profilePaths),
          bytes.profileAnon,
        ),
      );
    }
    measured.push(
      await measure('article, anonymous', cached.url, anonymous(articlePaths), bytes.articleAnon),
    );
    measured.push(
      await measure(
        'article, authenticated',
        cached.url,
        authenticated(articlePaths),
        bytes.articleAuth,
      ),
    );
    measured.push(
      await measure(
        'articles?limit=20, anonymous',
        cached.url,
        anonymous([listPath]),
        bytes.listAnon,
      ),
    );
    measured.push(
      await measure(
        'articles?limit=20, authenticated',
        cached.url,
        authenticated([listPath]),
        bytes.listAuth,
      ),
    );
    measured.push(
      await measure(
        'articles?tag&limit=20, authenticated',
        cached.url,
        authenticated([tagPath]),
        bytes.tagList,
      ),
    );
    measured.push(
      await measure(
        'followers?limit=20, authenticated',
        cached.url,
        authenticated([followersPath]),
        bytes.followers,
      ),
    );
    measured.push(
      await measure(
        'articles/feed (timelines)',
        cached.url,
        () => ({ path: '/api/articles/feed', token: random(tokens) }),
        bytes.feed,
      ),
    );
    measured.push(
      await measure(
        'leaderboard followers top 100',
        cached.url,
        () => ({ path: boardPath, token: adminToken }),
        bytes.leaderboard,
      ),
    );
    measured.push(
      await measure('mixed 90% read / 10% write', cached.url, () => {
        const roll = Math.random();
        if (roll < 0.45) return { path: random(profilePaths), token: random(tokens) };
        if (roll < 0.9) return { path: random(articlePaths), token: random(tokens) };
        const method = Math.random() < 0.5 ? 'POST' : 'DELETE';
        return roll < 0.95
          ? { method, path: `${random(profilePaths)}/follow`, token: random(tokens) }
          : { method, path: `${random(articlePaths)}/favorite`, token: random(tokens) };
      }),
    );
    peakRss = cached.child ? Math.round(peakRssMb(cached.child.pid!)) : undefined;
  } finally {
    await cached.stop();
    await uncached?.stop();
  }
  const rowsMeasured = measured.filter((row): row is Row => row !== undefined);
  for (const row of rowsMeasured) {
    const baseline = row.baselineBefore ?? {
      requestsPerSecond: rowsMeasured[0].max.requestsPerSecond,
      cpuUsPerRequest: rowsMeasured[0].cpuUsPerRequest,
    };
    row.ratioToBaseline = Number(
      (row.max.requestsPerSecond / baseline.requestsPerSecond).toFixed(2),
    );
    if (baseline.cpuUsPerRequest && row.cpuUsPerRequest)
      row.cpuRatioToBaseline = Number((baseline.cpuUsPerRequest / row.cpuUsPerRequest).toFixed(2));
  }

  let reconciliation: Record<string, unknown> | undefined = { large };
  if (!flag('--skip-reconcile')) {
    const mediumUrl = new URL(DATABASE_URL);
    mediumUrl.pathname = `${mediumUrl.pathname}_medium`;
    process.stderr.write('bench: seeding a medium database for the growth ratio ...\n');
    const seeded = await runNodeScript('dist/seed/seed.js', ['--scale', 'medium', '--reset'], {
      DATABASE_URL: mediumUrl.toString(),
      REDIS_KEY_PREFIX: 'bench-medium:',
    });
    if (seeded.code !== 0) throw new Error(`seeding the medium database failed: ${seeded.stderr}`);
    const medium = await reconcileCost(mediumUrl.toString(), 'bench-medium:');
    reconciliation =
      large && medium
        ? {
            large,
            medium,
            timeRatio: Number((large.seconds / medium.seconds).toFixed(2)),
            dataRatio: Number((counts.users / 10_000).toFixed(2)),
          }
        : { skipped: 'dist/reconciliation/reconcile.cli.js not built' };
  }

  printTable(rowsMeasured, reconciliation);
  if (peakRss !== undefined) console.log(`peak RSS of the app under the bench: ${peakRss} MB`);
  const tier = tierPeak.get(cached.url);
  if (tier) {
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      `in-process tier of the cached app: at most ${mb(tier.bytes)} MB of its ${mb(tier.cap)} MB cap (local_cache_bytes after each scenario)`,
    );
    if (tier.bytes > tier.cap)
      failures.push(`in-process tier over its cap: ${tier.bytes} > ${tier.cap} bytes`);
  }
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      {
        when: new Date().toISOString(),
        seconds: SECONDS,
        connections: CONNECTIONS,
        data: counts,
        appDir: APP_DIR,
        only: ONLY,
        rows: rowsMeasured,
        reconciliation,
        peakRssMb: peakRss,
        localTier: tier,
      },
      null,
      2,
    ),
  );
  console.log(`\nresults written to ${file}`);
  if (failures.length) throw new Error(`invalid rows:\n  ${failures.join('\n  ')}`);
}

function printTable(rows: Row[], reconciliation: Record<string, unknown> | undefined): void {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'baseline req/s before',
    'x baseline',
    'p99 ms @50%',
    'errors @50%',
    'gen lag p99 ms @50%',
    'CPU pressure % @50%',
    'app loop delay max ms @50%',
    'major GCs @50% (ms)',
    'bytes',
    'app CPU µs/req',
    'x baseline by CPU',
  ];
  const lines = rows.map((row) => [
    row.scenario,
    String(row.max.requestsPerSecond),
    String(row.max.p50),
    String(row.max.p99),
    String(row.max.errors),
    String(row.baselineBefore?.requestsPerSecond ?? '-'),
    String(row.ratioToBaseline),
    String(row.half?.p99 ?? '-'),
    String(row.half?.errors ?? '-'),
    String(row.half?.generator.sendLagP99 ?? '-'),
    String(row.half?.generator.machineCpuPressurePercent ?? '-'),
    String(row.halfStalls?.loopDelayMaxMs ?? '-'),
    row.halfStalls?.majorGcs === undefined
      ? '-'
      : `${row.halfStalls.majorGcs} (${row.halfStalls.majorGcMs ?? '-'})`,
    String(row.bytes ?? '-') + (row.note ? ` (${row.note})` : ''),
    String(row.cpuUsPerRequest ?? '-'),
    String(row.cpuRatioToBaseline ?? '-'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
  if (reconciliation) console.log(`\nreconciliation: ${JSON.stringify(reconciliation)}`);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
