import {
  EmptyAwareSinglyLinkedList,
  SinglyLinkedList,
} from '@redis/client/dist/lib/client/linked-list.js';

/**
 * patches/@redis+client+*.patch (applied by `npm ci`'s postinstall): node-redis keeps the commands
 * awaiting a reply in this list, and its shift() left the removed node pointing at the next one.
 * Under load that chained every command (and the request state its promise callbacks hold) from
 * one promoted node to the next: each scavenge promoted ~9 MB, and the old generation refilled
 * every few seconds (mark-compacts of 10-30 ms in the half-load windows of `npm run bench`).
 * These fail when an upgrade of node-redis drops the patch without fixing the list itself.
 */
describe('node-redis reply queue (patched)', () => {
  it.each([
    ['SinglyLinkedList', () => new SinglyLinkedList<string>()],
    [
      'EmptyAwareSinglyLinkedList (the reply queue)',
      () => new EmptyAwareSinglyLinkedList<string>(),
    ],
  ])('%s: a shifted node no longer references the rest of the queue', (_name, create) => {
    const queue = create();
    const first = queue.push('first');
    const second = queue.push('second');
    queue.push('third');

    expect(queue.shift()).toBe('first');
    expect(first.next).toBeUndefined();
    expect(queue.shift()).toBe('second');
    expect(second.next).toBeUndefined();
    expect(queue.length).toBe(1);
    expect([...queue]).toEqual(['third']);
  });
});
