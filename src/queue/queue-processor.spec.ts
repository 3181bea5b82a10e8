import { blockingConnectionClosable } from './queue-processor.js';

describe('blockingConnectionClosable (graceful or forced worker shutdown)', () => {
  const cluster = (status: string, ...nodes: string[]) => ({
    status,
    nodes: () => nodes.map((node) => ({ status: node })),
  });

  it('closes gracefully on a ready standalone or Sentinel connection', () => {
    expect(blockingConnectionClosable({ status: 'ready' })).toBe(true);
  });

  it('forces the close when the connection may never report its end', () => {
    expect(blockingConnectionClosable({ status: 'reconnecting' })).toBe(false);
    expect(blockingConnectionClosable({ status: 'connecting' })).toBe(false);
    // Any Cluster client: ioredis may never emit its `end` (no node, only lazy nodes, ...).
    expect(blockingConnectionClosable(cluster('ready', 'ready', 'wait'))).toBe(false);
    expect(blockingConnectionClosable(cluster('ready', 'wait', 'wait'))).toBe(false);
    expect(blockingConnectionClosable(cluster('reconnecting'))).toBe(false);
  });

  it('a worker without a blocking connection closes gracefully', () => {
    expect(blockingConnectionClosable(undefined)).toBe(true);
  });
});
