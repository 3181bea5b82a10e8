import { askPerStructure } from './member-questions.js';
import type { MemberFlag, MembershipQuestion } from './scripts/index.js';

describe('askPerStructure', () => {
  it('asks each structure once, its members in probe order, and answers in probe order', async () => {
    let asked: MembershipQuestion[] = [];
    const answers = await askPerStructure(
      [
        { key: 'following', kind: 'zset', member: 'a1' },
        { key: 'favorites', kind: 'set', member: 'x1' },
        { key: 'following', kind: 'zset', member: 'a2' },
        { key: 'favorites', kind: 'set', member: 'x2' },
      ],
      (questions) => {
        asked = questions;
        // Flat, structure by structure: following a1, a2, then favorites x1, x2.
        return Promise.resolve([1, 0, -1, -1] as MemberFlag[]);
      },
    );
    expect(asked.map(({ key, kind, members }) => ({ key, kind, members }))).toEqual([
      { key: 'following', kind: 'zset', members: ['a1', 'a2'] },
      { key: 'favorites', kind: 'set', members: ['x1', 'x2'] },
    ]);
    expect(answers).toEqual([1, -1, 0, -1]);
  });
});
