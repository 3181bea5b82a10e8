import { WorkerHost } from '@nestjs/bullmq';
import type { INestApplication } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Worker } from 'bullmq';

/** What an ioredis client (standalone or Cluster) looks like from outside, for a diagnosis. */
interface ClientLike {
  status: string;
  nodes?: (role: 'all') => ClientLike[];
  options?: { port?: number };
  commandQueue?: { length: number };
  offlineQueue?: { length: number };
}

/** The BullMQ internals a stuck worker is diagnosed by (private fields, read for tests only). */
interface WorkerInternals {
  running: boolean;
  closing: unknown;
  drained: boolean;
  waiting: unknown;
  blockUntil: number;
  mainLoopQueue?: { numTotal(): number };
  backend?: {
    connection?: { client: Promise<ClientLike> };
    blockingConnection?: { client: Promise<ClientLike> };
  };
}

function describeClient(client: ClientLike | undefined) {
  if (!client) return null;
  const describeNode = (node: ClientLike) =>
    `${node.options?.port}:${node.status}:sent=${node.commandQueue?.length ?? '?'}:offline=${node.offlineQueue?.length ?? '?'}`;
  return {
    status: client.status,
    nodes: client.nodes ? client.nodes('all').map(describeNode) : undefined,
    queued: client.nodes ? undefined : describeNode(client),
  };
}

/**
 * Where a worker is in its fetch loop and what its connections are doing: for the failure message
 * of a test that waits for a job no worker takes (which await is it parked on, which node holds
 * its commands).
 */
export async function workerState(worker: Worker) {
  const internals = worker as unknown as WorkerInternals;
  const settle = async (client: Promise<ClientLike> | undefined) =>
    client ? describeClient(await Promise.race([client, Promise.resolve(undefined)])) : null;
  return {
    running: internals.running,
    closing: Boolean(internals.closing),
    drained: internals.drained,
    waitingForJob: internals.waiting !== null && internals.waiting !== undefined,
    blockUntil: internals.blockUntil,
    inFlight: internals.mainLoopQueue?.numTotal(),
    client: await settle(internals.backend?.connection?.client),
    blockingClient: await settle(internals.backend?.blockingConnection?.client),
  };
}

/** Every BullMQ worker of the app (its @Processor classes). */
export function appWorkers(app: INestApplication): Worker[] {
  return app
    .get(DiscoveryService)
    .getProviders()
    .map((wrapper) =>
      wrapper.isDependencyTreeStatic() ? (wrapper.instance as unknown) : undefined,
    )
    .filter((instance): instance is WorkerHost => instance instanceof WorkerHost)
    .map((host) => host.worker);
}

/** Closes the app within `boundMs`, or fails with where its workers are stuck. */
export async function closeWithin(app: INestApplication, boundMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), boundMs)),
  );
  const closed = app.close().then(() => 'closed' as const);
  const outcome = await Promise.race([closed, late]).finally(() => clearTimeout(timer));
  if (outcome === 'closed') return;
  const states = await Promise.all(
    appWorkers(app).map(async (worker) => ({ queue: worker.name, ...(await workerState(worker)) })),
  );
  throw new Error(`the app did not close within ${boundMs} ms: ${JSON.stringify(states, null, 1)}`);
}
