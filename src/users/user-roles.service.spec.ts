import { Env } from '../config/env.schema.js';
import type { ChannelListener } from '../database/postgres-notifications.js';
import { PostgresNotifications } from '../database/postgres-notifications.js';
import { ROLE_CHANNEL, UserRolesService } from './user-roles.service.js';
import type { UserRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

/** A listener connection the test drives: connected or not, notifications on demand. */
class FakeNotifications {
  connected = true;
  listener: ChannelListener | undefined;
  subscribe(channel: string, listener: ChannelListener): void {
    expect(channel).toBe(ROLE_CHANNEL);
    this.listener = listener;
  }
  isListening(): boolean {
    return this.connected;
  }
}

describe('UserRolesService: roles remembered only while changes are announced', () => {
  let notifications: FakeNotifications;
  let stored: Map<number, UserRole>;
  let reads: number;
  /** When set, the next repository read answers only once this promise resolves. */
  let holdNextRead: Promise<void> | undefined;
  let sut: UserRolesService;

  beforeEach(() => {
    notifications = new FakeNotifications();
    stored = new Map([[1, 'admin']]);
    reads = 0;
    holdNextRead = undefined;
    const repository = {
      roleOf: async (id: number) => {
        reads++;
        const role = stored.get(id) ?? null; // read now, answered maybe later
        const hold = holdNextRead;
        holdNextRead = undefined;
        await hold;
        return role;
      },
      setRole: (username: string, role: UserRole) => {
        if (username === 'one') stored.set(1, role);
        return Promise.resolve(username === 'one');
      },
    } as unknown as UsersRepository;
    sut = new UserRolesService(
      repository,
      notifications as unknown as PostgresNotifications,
      Object.assign(new Env(), { ADMIN_EMAILS: '' }),
    );
  });

  it('reads Postgres once while listening, again after a notification for that user', async () => {
    expect(await sut.isAdmin(1)).toBe(true);
    expect(await sut.isAdmin(1)).toBe(true);
    expect(reads).toBe(1);
    stored.set(1, 'user');
    notifications.listener!.notified('1');
    expect(await sut.isAdmin(1)).toBe(false);
    expect(reads).toBe(2);
  });

  it('reads Postgres every time while the listener is not connected', async () => {
    notifications.connected = false;
    await sut.isAdmin(1);
    await sut.isAdmin(1);
    expect(reads).toBe(2);
  });

  it('forgets everything when the connection is lost or comes back, and on "*"', async () => {
    for (const event of [
      () => notifications.listener!.lost!(),
      () => notifications.listener!.listening!(),
      () => notifications.listener!.notified('*'),
    ]) {
      await sut.isAdmin(1);
      const before = reads;
      stored.set(1, stored.get(1) === 'admin' ? 'user' : 'admin');
      event();
      expect(await sut.isAdmin(1)).toBe(stored.get(1) === 'admin');
      expect(reads).toBe(before + 1);
    }
  });

  it('does not store a read that a notification overtook (it may predate the change)', async () => {
    let release!: () => void;
    holdNextRead = new Promise((resolve) => (release = resolve));
    const first = sut.isAdmin(1); // reads 'admin', answer held
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toBe(1);
    stored.set(1, 'user');
    notifications.listener!.notified('1'); // the change committed after that read
    release();
    expect(await first).toBe(true); // the answer of its moment
    expect(await sut.isAdmin(1)).toBe(false); // not remembered: read again
    expect(reads).toBe(2);
  });

  it('the instance that changes a role sees it on its next request without its notification', async () => {
    expect(await sut.isAdmin(1)).toBe(true);
    await sut.setRole('one', 'user');
    expect(await sut.isAdmin(1)).toBe(false);
  });
});
