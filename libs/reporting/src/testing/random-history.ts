/**
 * Test-only: random but valid histories for the reports' property tests: the domain's generator
 * (random-conversation-history), with a few more conversations and durations than the read
 * models use and no chunks, played onto a HistoryWriter (synchronously).
 */
import {
  randomConversationHistory,
  walkConversationHistory,
  type ConversationHistoryStep,
  type RandomConversationHistoryOptions,
} from '@lib/domain/conversation/testing/random-conversation-history';
import type { Arbitrary } from 'fast-check';
import { HistoryWriter, MINUTE, START } from './history';

const REPORT_HISTORY: Omit<RandomConversationHistoryOptions, 'maxLength'> = {
  conversations: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'],
  durations: [0, 60_000, 900_000, 3_600_000, 86_400_000],
  gapWeights: { short: 5, long: 1 },
  monitoringSupervisors: ['supervisor-1'],
  chunks: false,
};

export type RandomStep = ConversationHistoryStep;

export const randomSteps = (maxLength = 60): Arbitrary<RandomStep[]> => randomConversationHistory({ ...REPORT_HISTORY, maxLength });

/** Plays the steps (time advancing by each step's gap from START); returns the writer and the last time. */
export function playRandomSteps(steps: readonly RandomStep[]): { writer: HistoryWriter; endMs: number } {
  const writer = new HistoryWriter();
  let endMs = Date.parse(START);
  for (const { time, elapsedMs, write } of walkConversationHistory(steps, REPORT_HISTORY, START, (id) => writer.state(id))) {
    endMs = Date.parse(time);
    if (write.kind === 'other-stream') writer.otherStream(write.stream, elapsedMs / MINUTE);
    else if (write.kind === 'command') writer.tryRunAt(write.conversationId, time, write.body);
  }
  return { writer, endMs };
}
