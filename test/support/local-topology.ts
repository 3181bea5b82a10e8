import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from '@jest/globals';
import { createClient } from 'redis';
import { RedisConnection } from '../../src/redis/redis-connection.js';
import { DRILL_VIEWS_FLUSH_MS } from './failover-jobs.js';
import { bootApp, resetState, type TestApp } from './test-app.js';
import { closeWithin } from './worker-state.js';

const run = promisify(execFile);
const SCRIPT = path.resolve('scripts/redis-topology.sh');

/**
 * Where the failover drills' own topologies live: TEST_TOPOLOGY_PORT_BASE (default 7400), the
 * Cluster on base..base+5 (and its bus ports base+10000...), the Sentinel set's data nodes on
 * base+10..base+12 and its sentinels on base+20..base+22. Move it when two runs share a machine.
 */
export function topologyPortBase(): number {
  const raw = process.env.TEST_TOPOLOGY_PORT_BASE ?? '7400';
  const base = Number(raw);
  if (!Number.isInteger(base) || base < 1024 || base > 55_000)
    throw new Error(`TEST_TOPOLOGY_PORT_BASE must be a port number (1024-55000), got "${raw}"`);
  return base;
}

/**
 * A Sentinel set or Cluster of the test's own (scripts/redis-topology.sh on the ports above and
 * a private folder), for tests that kill nodes: the shared topologies the suite passes run on
 * (7000-7022) are never disturbed.
 */
export class LocalTopology {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'conduit-topology-'));
  readonly basePort: number;

  constructor(readonly kind: 'sentinel' | 'cluster') {
    this.basePort = topologyPortBase() + (kind === 'cluster' ? 0 : 10);
  }

  /** The app variables that point at it, once it is up. */
  readonly env: Record<string, string> = {};

  /** Starts it and returns the app variables that point at it. */
  async up(): Promise<Record<string, string>> {
    const { stdout } = await this.script('up', this.kind);
    for (const pair of stdout.trim().split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) this.env[pair.slice(0, at)] = pair.slice(at + 1);
    }
    return this.env;
  }

  async down(): Promise<void> {
    await this.script('down', this.kind).catch(() => undefined);
  }

  /** SIGKILL of one node: no goodbye to replicas or clients. */
  async kill(port: number): Promise<void> {
    await this.script('kill', String(port));
  }

  /**
   * SIGSTOP (`frozen` true) or SIGCONT of one node: a frozen replica stops applying its master's
   * stream, so what the master acknowledges meanwhile is lost if the master dies then.
   */
  freeze(port: number, frozen = true): void {
    const pid = Number(readFileSync(path.join(this.dir, String(port), 'redis.pid'), 'utf8').trim());
    process.kill(pid, frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Whether the node on `port` runs (a killed node's pid file is gone). */
  alive(port: number): boolean {
    try {
      const pid = Number(readFileSync(path.join(this.dir, String(port), 'redis.pid'), 'utf8'));
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** The port of a replica of the master on `port` (ROLE), or null when it has none. */
  async replicaOf(port: number): Promise<number | null> {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'role']);
    const lines = stdout.trim().split('\n');
    return lines[0] === 'master' && lines.length >= 5 ? Number(lines[3]) : null;
  }

  /** The first sentinel's port (Sentinel sets): sentinels follow the data nodes by 10. */
  get sentinelPort(): number {
    return this.basePort + 10;
  }

  /** Asks a sentinel which node is master now. */
  async sentinelMaster(name = 'conduit'): Promise<number> {
    const { stdout } = await run('redis-cli', [
      '-p',
      String(this.sentinelPort),
      'sentinel',
      'get-master-addr-by-name',
      name,
    ]);
    return Number(stdout.trim().split('\n')[1]);
  }

  /**
   * The master the sentinels name once it really is one: right after an earlier drill the
   * sentinels can still name a node that is gone or not yet promoted (waits up to 20 s).
   */
  async liveSentinelMaster(name = 'conduit'): Promise<number> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const port = await this.sentinelMaster(name);
      const role = await run('redis-cli', ['-p', String(port), 'role']).then(
        ({ stdout }) => stdout.split('\n')[0].trim(),
        () => '',
      );
      if (role === 'master' || Date.now() > deadline) return port;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Waits (up to 30 s, then throws) until every live data node but the master replicates the master, in sync
   * (Sentinel sets). Right after a failover the demoted master still serves its old data, not
   * replicating, until the sentinels reconfigure it (~10 s): a drill that killed the new master
   * then could promote that stale copy, seconds behind (a lock key revived that way kept the views
   * flush skipping for its TTL). Drills start from a settled set.
   */
  async sentinelSettled(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const master = await this.liveSentinelMaster();
      let settled = true;
      for (let port = this.basePort; port < this.basePort + 3; port++) {
        if (port === master) continue;
        const info = await run('redis-cli', ['-p', String(port), 'info', 'replication']).then(
          ({ stdout }) => stdout,
          () => null,
        );
        if (info === null) continue; // killed by an earlier drill
        const follows = info.includes(`master_port:${master}`);
        if (!follows || !info.includes('master_link_status:up')) settled = false;
      }
      if (settled) return;
      if (Date.now() > deadline) throw new Error('the Sentinel set did not settle within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * The port of the node that serves `slot` as master now (Clusters), asked of a live node
   * other than `except`: a failed master still lists itself.
   */
  async clusterMasterOf(slot: number, except: number): Promise<number | null> {
    for (let port = this.basePort; port < this.basePort + 6; port++) {
      if (port === except) continue;
      try {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'nodes']);
        for (const line of stdout.trim().split('\n')) {
          const [, address, flags, , , , , , ...slots] = line.split(' ');
          if (!flags.split(',').includes('master') || flags.includes('fail')) continue;
          const serves = slots.some((range) => {
            const [from, to = from] = range.split('-').map(Number);
            return slot >= from && slot <= to;
          });
          if (serves) return Number(address.split('@')[0].split(':')[1]);
        }
        return null;
      } catch {
        // That node is down too: ask the next one.
      }
    }
    return null;
  }

  /** A plain client to one node (to look at what a master or replica really holds). */
  async node(port: number) {
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  private script(...args: string[]) {
    return run('bash', [SCRIPT, ...args], {
      env: {
        ...process.env,
        REDIS_TOPOLOGY_DIR: this.dir,
        CLUSTER_BASE_PORT: String(this.basePort),
        SENTINEL_BASE_PORT: String(this.basePort),
      },
    });
  }
}

/**
 * Starts `topology` before the describe block's tests and an app on it with replica reads on
 * (and a command budget that tolerates a busy CI machine) and the views flush running as a
 * repeatable job, checks the app uses that topology, and stops both afterwards. Returns a getter
 * for the app.
 */
export function appOnLocalTopology(topology: LocalTopology): () => TestApp {
  let t: TestApp | undefined;
  beforeAll(async () => {
    const env = await topology.up();
    t = await bootApp({
      ...env,
      REDIS_READ_FROM_REPLICAS: 'true',
      REDIS_COMMAND_TIMEOUT_MS: '500',
      VIEWS_FLUSH_INTERVAL_MS: DRILL_VIEWS_FLUSH_MS,
    });
    const redis = t.app.get(RedisConnection).redis;
    expect(redis.kind).toBe(topology.kind);
    expect(redis.reader).not.toBe(redis.primary);
    await resetState(t);
  }, 60_000);
  afterAll(async () => {
    try {
      if (t) await closeWithin(t.app, 25_000);
    } finally {
      await topology.down();
    }
  }, 40_000);
  return () => t!;
}
