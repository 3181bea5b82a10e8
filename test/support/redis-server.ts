import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { freePort } from '../../bench/processes.js';

/**
 * A real redis-server the test owns (a child process, no persistence), so it can freeze it
 * (SIGSTOP: the TCP connection stays open and nothing answers, like a long fork or a paused VM),
 * thaw it, kill it and restart it empty. Without a port it takes a free one at its first start
 * (and keeps it across restarts), so two runs on one machine never talk to each other's server.
 */
export class RedisServerProcess {
  private child: ChildProcess | undefined;

  constructor(private chosenPort = 0) {}

  get port(): number {
    return this.chosenPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts the server (empty) and resolves once it accepts commands. */
  async start(): Promise<void> {
    if (this.chosenPort === 0) this.chosenPort = await freePort();
    else if (this.child === undefined && (await answers(this.chosenPort))) {
      // Someone else's server: freezing or killing "ours" would then test nothing.
      throw new Error(`port ${this.chosenPort} is already taken by another server`);
    }
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 5000;
      const attempt = (): void => {
        if (child.exitCode !== null)
          return reject(new Error(`redis-server exited on :${this.port}`));
        const socket = net.connect(this.port, '127.0.0.1');
        socket.once('connect', () => {
          socket.write('PING\r\n');
          socket.once('data', (data) => {
            socket.destroy();
            if (data.toString().startsWith('+PONG')) resolve();
            else setTimeout(attempt, 50);
          });
        });
        socket.once('error', () => {
          socket.destroy();
          if (Date.now() > deadline)
            reject(new Error(`redis-server did not start on :${this.port}`));
          else setTimeout(attempt, 50);
        });
      };
      attempt();
    });
  }

  /** SIGSTOP: the process stops answering; its sockets stay open. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGKILL (after a SIGCONT, so a frozen server dies too); resolves once it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
