import net from 'node:net';

/**
 * A TCP proxy in front of a real server that a test can cut and restore, to simulate a Redis
 * outage for one app instance while the server itself (and other instances) keep running.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again on the same port. */
  async restore(): Promise<void> {
    await this.start(this.port);
  }
}

/**
 * A started proxy in front of the suite's standalone test Redis (REDIS_URL) and the REDIS_URL an
 * app instance uses to reach Redis through it (same db index): boot an instance with it to cut
 * that one instance off Redis while the others keep theirs.
 */
export async function proxiedTestRedis(): Promise<{ proxy: TcpProxy; redisUrl: string }> {
  const direct = new URL(process.env.REDIS_URL!);
  const proxy = new TcpProxy(direct.hostname, Number(direct.port || 6379));
  const port = await proxy.start();
  return { proxy, redisUrl: `redis://127.0.0.1:${port}${direct.pathname}` };
}
