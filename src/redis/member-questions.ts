import type { MemberFlag, MembershipProbe, MembershipQuestion } from './scripts/index.js';

/**
 * Asks `probes` one question per structure (the `memberFlags` script makes one call per
 * structure) and puts the answers back in the order of `probes`.
 */
export async function askPerStructure(
  probes: MembershipProbe[],
  ask: (questions: MembershipQuestion[]) => Promise<MemberFlag[]>,
): Promise<MemberFlag[]> {
  const questions = new Map<string, MembershipQuestion & { probeIndexes: number[] }>();
  probes.forEach((probe, index) => {
    let question = questions.get(probe.key);
    if (!question) {
      question = { key: probe.key, kind: probe.kind, members: [], probeIndexes: [] };
      questions.set(probe.key, question);
    }
    question.members.push(probe.member);
    question.probeIndexes.push(index);
  });
  const flat = await ask([...questions.values()]);
  const answers = new Array<MemberFlag>(probes.length);
  let at = 0;
  for (const question of questions.values())
    for (const index of question.probeIndexes) answers[index] = flat[at++];
  return answers;
}
