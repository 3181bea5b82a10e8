import { expect } from '@jest/globals';
import { UnconfirmedInvalidations } from '../../src/cache/unconfirmed-invalidations.js';
import { authHeader, registerUser, type RegisteredUser } from './factories.js';
import { FailoverJobs } from './failover-jobs.js';
import { pollUntil } from './poll.js';
import type { TestApp } from './test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TrafficReport {
  reads: number;
  failedReads: number;
  writes: number;
  failedWrites: number;
  /** Reads by the author, after each of its writes, of any of its articles, that did not show its last write. */
  ownWriteMisses: number;
  /** Writes committed while the failover was under way (between `markStart` and `markEnd`). */
  writesDuringFailover: number;
}

/**
 * Reads and writes against the app while a test fails Redis over: anonymous and authenticated
 * article and profile reads, article updates by their author (each followed by the author's own
 * read, which must show it), and follows. Every answer is checked; nothing is retried.
 */
export class FailoverTraffic {
  private author!: RegisteredUser;
  private reader!: RegisteredUser;
  private slugs: string[] = [];
  /** The last body each article was updated to (committed, answered 200). */
  readonly lastBody = new Map<string, string>();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private failoverFrom = Infinity;
  private failoverTo = Infinity;
  readonly report: TrafficReport = {
    reads: 0,
    failedReads: 0,
    writes: 0,
    failedWrites: 0,
    ownWriteMisses: 0,
    writesDuringFailover: 0,
  };
  readonly failures: string[] = [];
  /** What each own-write miss showed, and when (ms after the failover was triggered). */
  readonly misses: string[] = [];

  constructor(private readonly app: TestApp) {}

  async prepare(articles = 4): Promise<void> {
    this.author = await registerUser(this.app);
    this.reader = await registerUser(this.app);
    for (let i = 0; i < articles; i++) {
      const created = await this.app
        .http()
        .post('/api/articles')
        .set(authHeader(this.author.token))
        .send({ article: { title: `Failover ${i} ${Date.now()}`, description: 'd', body: 'v0' } })
        .expect(201);
      this.slugs.push(created.body.article.slug);
      this.lastBody.set(created.body.article.slug, 'v0');
    }
  }

  start(readers = 3): void {
    this.stopped = false;
    this.loops = [
      ...Array.from({ length: readers }, (_, i) => this.readLoop(i)),
      this.writeLoop(),
      this.followLoop(),
    ];
  }

  markFailoverStart(): void {
    this.failoverFrom = Date.now();
  }

  markFailoverEnd(): void {
    this.failoverTo = Date.now();
  }

  async stop(): Promise<TrafficReport> {
    this.stopped = true;
    await Promise.all(this.loops);
    return this.report;
  }

  /** Every article, read anonymously and by its author, shows its last committed body. */
  async expectCoherent(): Promise<void> {
    const viewers = {
      anonymous: {},
      reader: authHeader(this.reader.token),
      author: authHeader(this.author.token),
    };
    for (const slug of this.slugs) {
      for (const [viewer, headers] of Object.entries(viewers)) {
        const response = await this.app
          .http()
          .get(`/api/articles/${slug}`)
          .set(headers)
          .expect(200);
        expect({ slug, viewer, body: response.body.article.body }).toEqual({
          slug,
          viewer,
          body: this.lastBody.get(slug),
        });
      }
    }
    const profile = await this.app
      .http()
      .get(`/api/profiles/${this.author.username}`)
      .set(authHeader(this.reader.token))
      .expect(200);
    const [{ following }] = await this.app.db.query<{ following: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM follows f JOIN users a ON a.id = f.follower_id
         JOIN users b ON b.id = f.followee_id WHERE a.username = $1 AND b.username = $2) AS following`,
      [this.reader.username, this.author.username],
    );
    expect(profile.body.profile.following).toBe(following);
  }

  private async readLoop(index: number): Promise<void> {
    let i = index;
    while (!this.stopped) {
      i += 1;
      const slug = this.slugs[i % this.slugs.length];
      const request =
        i % 3 === 0
          ? this.app.http().get(`/api/profiles/${this.author.username}`)
          : this.app.http().get(`/api/articles/${slug}`);
      if (i % 2 === 0) void request.set(authHeader(this.reader.token));
      const response = await request;
      this.report.reads += 1;
      if (response.status !== 200) {
        this.report.failedReads += 1;
        this.failures.push(`read ${response.status} ${JSON.stringify(response.body)}`);
      }
    }
  }

  private async writeLoop(): Promise<void> {
    let n = 0;
    while (!this.stopped) {
      n += 1;
      const slug = this.slugs[n % this.slugs.length];
      const body = `v${n}`;
      const response = await this.app
        .http()
        .put(`/api/articles/${slug}`)
        .set(authHeader(this.author.token))
        .send({ article: { body } });
      this.report.writes += 1;
      if (response.status !== 200) {
        this.report.failedWrites += 1;
        this.failures.push(`write ${response.status} ${JSON.stringify(response.body)}`);
        continue;
      }
      this.lastBody.set(slug, body);
      const now = Date.now();
      if (now >= this.failoverFrom && now <= this.failoverTo) this.report.writesDuringFailover += 1;
      // The author reads back every article, not only this one: an earlier write whose
      // invalidation died with a failed master must not come back either.
      for (const [read, expected] of this.lastBody) {
        const own = await this.app
          .http()
          .get(`/api/articles/${read}`)
          .set(authHeader(this.author.token));
        if (own.status !== 200 || own.body.article.body !== expected) {
          this.report.ownWriteMisses += 1;
          this.misses.push(
            `${read}: last wrote ${expected}, read ${own.status} ${String(own.body?.article?.body)} at +${Date.now() - this.failoverFrom} ms`,
          );
        }
      }
      await sleep(5);
    }
  }

  private async followLoop(): Promise<void> {
    let follow = true;
    while (!this.stopped) {
      const path = `/api/profiles/${this.author.username}/follow`;
      const request = follow ? this.app.http().post(path) : this.app.http().delete(path);
      const response = await request.set(authHeader(this.reader.token));
      this.report.writes += 1;
      if (response.status !== 200) {
        this.report.failedWrites += 1;
        this.failures.push(`follow ${response.status} ${JSON.stringify(response.body)}`);
      }
      follow = !follow;
      await sleep(20);
    }
  }
}

export interface FailoverDrill {
  label: string;
  /** Fails Redis over (kills a master, asks the sentinels...). */
  trigger: () => Promise<void>;
  /** The port of the node that is master now for the probe key, or null while undecided. */
  currentMaster: () => Promise<number | null>;
  /** A key the app writes to find out whether it follows (in the failed master's slots). */
  probeKey: () => string;
  /** A plain client to a node, to check where the probe landed. */
  node: (
    port: number,
  ) => Promise<{ get: (key: string) => Promise<string | null>; destroy: () => void }>;
}

/** Bounds for a loaded 2-core CI machine: generous, and every wait is polled. */
const FOLLOW_BOUND_MS = 30_000;
const CONFIRM_BOUND_MS = 30_000;

/**
 * Runs `drill` under traffic and checks the promises of a failover: 0 failed reads, 0 failed
 * writes, writes committing during the switch, the app writing to the new master, an author
 * always reading their own write (0 misses, during the switch too), and, once the app has
 * confirmed every invalidation the failover may have cost (outbox rows applied on the new
 * master, replay done: nothing read from Postgres any more because of it), every cached read
 * agreeing with Postgres at once. Meanwhile an author with followers publishes: the queue's
 * promises are checked after (FailoverJobs: fan-out jobs and the repeatable views flush).
 */
export async function failOverUnderTraffic(app: TestApp, drill: FailoverDrill): Promise<void> {
  const unconfirmed = app.app.get(UnconfirmedInvalidations);
  const traffic = new FailoverTraffic(app);
  const jobs = new FailoverJobs(app);
  await traffic.prepare();
  await jobs.prepare();
  traffic.start();
  jobs.start();
  await sleep(500);
  const oldMaster = await drill.currentMaster();
  const started = Date.now();
  traffic.markFailoverStart();
  jobs.markTrigger();
  await drill.trigger();
  let promotedMs = -1;
  let followedMs = -1;
  while (Date.now() - started < FOLLOW_BOUND_MS) {
    const newMaster = await drill.currentMaster().catch(() => null);
    if (newMaster !== null && newMaster !== oldMaster) {
      if (promotedMs < 0) promotedMs = Date.now() - started;
      const probe = drill.probeKey();
      const wrote = await app.redis.set(probe, 'x', { PX: 60_000 }).catch(() => null);
      const node = await drill.node(newMaster);
      const landed = wrote === 'OK' && (await node.get(probe).catch(() => null)) === 'x';
      node.destroy();
      if (landed) {
        followedMs = Date.now() - started;
        break;
      }
    }
    await sleep(50);
  }
  traffic.markFailoverEnd();
  jobs.markFailoverEnd();
  await sleep(1000);
  const [report] = await Promise.all([traffic.stop(), jobs.stop()]);
  const stoppedMs = Date.now() - started;
  const held = await pollUntil(
    () => Promise.resolve(unconfirmed.size),
    (size) => size === 0,
    CONFIRM_BOUND_MS,
  );
  const confirmedMs = Date.now() - started;
  if (process.env.FAULT_TIMINGS)
    console.log(
      `${drill.label}: new master named after ${promotedMs} ms, the app writes there after ${followedMs} ms, traffic stopped after ${stoppedMs} ms, every invalidation confirmed after ${confirmedMs} ms`,
      report,
      traffic.misses,
    );
  expect(traffic.failures).toEqual([]);
  expect(report.failedReads).toBe(0);
  expect(report.failedWrites).toBe(0);
  expect(traffic.misses).toEqual([]);
  expect(report.writesDuringFailover).toBeGreaterThan(0);
  expect(followedMs).toBeGreaterThan(0);
  expect(held).toBe(0);
  // Confirmed: the caches (Redis and the in-process tier) answer again, and agree with Postgres.
  await traffic.expectCoherent();
  const queued = await jobs.verify();
  if (process.env.FAULT_TIMINGS) console.log(`${drill.label}: queue jobs`, queued);
}
