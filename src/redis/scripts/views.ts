import { defineScript } from 'redis';

/** Article views (src/views/views-counter.service.ts). */
export const viewScripts = {
  /**
   * Counts one view and answers the article's views not in Postgres yet (this one included):
   * HINCRBY on the pending hash plus the article's field of the batch being flushed, in one
   * command instead of an HINCRBY and two HMGETs. KEYS: pending hash, flushing hash (one slot:
   * the flush renames one onto the other). ARGV: article id.
   */
  countView: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: `
      local pending = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
      return pending + tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')`,
    parseCommand(parser, pendingKey: string, flushingKey: string, articleId: string) {
      parser.pushKey(pendingKey);
      parser.pushKey(flushingKey);
      parser.push(articleId);
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};
