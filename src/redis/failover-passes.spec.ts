import { jest } from '@jest/globals';
import { FailoverPasses } from './failover-passes.js';

describe('FailoverPasses', () => {
  let sent: string[];
  let accept: boolean[];
  let sut: FailoverPasses<string>;
  const send = (item: string) => {
    sent.push(item);
    return Promise.resolve(accept.shift() ?? true);
  };

  beforeEach(() => {
    sent = [];
    accept = [];
    sut = new FailoverPasses();
  });
  afterEach(() => sut.stop());

  it('sends every item, and a refused one again until it is applied', async () => {
    accept = [true, false, false, true];
    sut.start({ items: ['a', 'b'], send, keepTrying: () => true });
    await sut.settled();
    expect(sent).toEqual(['a', 'b', 'b', 'b']);
  });

  it('drops an item once keepTrying says so', async () => {
    accept = [false, false, false];
    let tries = 0;
    sut.start({ items: ['a'], send, keepTrying: () => ++tries <= 2 });
    await sut.settled();
    expect(sent).toEqual(['a', 'a']);
  });

  it('a newer pass ends the one before at its next item; they never run side by side', async () => {
    let answer!: (applied: boolean) => void;
    const slow = (item: string) => {
      sent.push(item);
      return new Promise<boolean>((resolve) => (answer = resolve));
    };
    sut.start({ items: ['old 1', 'old 2'], send: slow, keepTrying: () => true });
    await Promise.resolve(); // the old pass is waiting for its first item's answer
    sut.start({ items: ['new'], send, keepTrying: () => true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['old 1']); // the newer pass waits for the older one to stop
    answer(true);
    await sut.settled();
    expect(sent).toEqual(['old 1', 'new']);
  });

  it('startTwice runs a second pass later, built afresh, unless a newer pass or stop came first', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      let round = 0;
      const pass = () => ({ items: [`round ${++round}`], send, keepTrying: () => true });
      sut.startTwice(pass, 5000);
      await sut.settled();
      await jest.advanceTimersByTimeAsync(5000);
      await sut.settled();
      expect(sent).toEqual(['round 1', 'round 2']);

      sut.startTwice(pass, 5000);
      await sut.settled();
      sut.start({ items: ['newer'], send, keepTrying: () => true });
      await jest.advanceTimersByTimeAsync(5000);
      await sut.settled();
      expect(sent.slice(2)).toEqual(['round 3', 'newer']);

      sut.startTwice(pass, 5000);
      await sut.settled();
      sut.stop();
      await jest.advanceTimersByTimeAsync(5000);
      expect(sent.slice(4)).toEqual(['round 4']);
    } finally {
      jest.useRealTimers();
    }
  });
});
