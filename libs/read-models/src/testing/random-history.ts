/**
 * Test-only: random histories for the read models' property tests, both kinds in one module.
 *
 * - Conversations: the domain's generator (random-conversation-history), played onto a
 *   ConversationLog: each step picks an action the conversation's state allows, the domain
 *   decides it, a refused command (a timer not due yet) writes nothing; some steps write to
 *   other streams.
 * - Agents and queues: each step picks an agent (or a queue) and one of the things that can
 *   happen to it; an agent that is not registered gets registered, or an event the domain
 *   ignores before registration.
 *
 * Steps of both kinds can end a chunk: the caller's `sync` is awaited there (it waits for the
 * projector to reach the log's head).
 */
import { ASSIGNMENT_METHODS, CHANNELS, PRESENCES } from '@lib/domain';
import {
  randomConversationHistory,
  walkConversationHistory,
  type ConversationHistoryStep,
  type RandomConversationHistoryOptions,
} from '@lib/domain/conversation/testing/random-conversation-history';
import fc from 'fast-check';
import type { AgentLog } from './agent-log';
import { T0, type ConversationLog } from './conversation-log';

/** Awaited after a step that ends a chunk, with the log's last position. */
export type ChunkSync = (position: number) => Promise<boolean>;

/** Plays each item, then awaits `sync` after those that end a chunk (once the log has written something). */
async function playInChunks<T>(
  items: Iterable<T>,
  endsChunk: (item: T) => boolean,
  log: { readonly lastPosition: number },
  sync: ChunkSync,
  play: (item: T) => Promise<unknown>,
): Promise<void> {
  for (const item of items) {
    await play(item);
    if (endsChunk(item) && log.lastPosition > 0) await sync(log.lastPosition);
  }
}

/** 2 in 10 steps end a chunk. */
const endsChunk = (): fc.Arbitrary<boolean> => fc.nat({ max: 9 }).map((roll) => roll < 2);

// ---------------------------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------------------------

const CONVERSATION_HISTORY: RandomConversationHistoryOptions = {
  conversations: ['p0', 'p1', 'p2', 'p3', 'p4'],
  durations: [0, 60_000, 3_600_000, 86_400_000],
  gapWeights: { short: 4, long: 1 },
  maxLength: 70,
  monitoringSupervisors: ['supervisor-1', 'supervisor-2'],
  chunks: true,
};

export type HistoryStep = ConversationHistoryStep;

export const randomHistory = (): fc.Arbitrary<HistoryStep[]> => randomConversationHistory(CONVERSATION_HISTORY);

/** Plays the steps against the log (times from T0); `sync` is awaited after steps that end a chunk. */
export async function playHistory(log: ConversationLog, steps: readonly HistoryStep[], sync: ChunkSync): Promise<void> {
  const walk = walkConversationHistory(steps, CONVERSATION_HISTORY, T0, (conversationId) => log.state(conversationId));
  await playInChunks(
    walk,
    ({ step }) => step.sync === true,
    log,
    sync,
    async ({ time, write }) => {
      if (write.kind === 'other-stream') await log.otherStreamEvent(write.stream);
      else if (write.kind === 'command') await log.tryRun(write.conversationId, time, write.body);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Agents and queues
// ---------------------------------------------------------------------------------------------

export const RANDOM_AGENTS = ['agent-1', 'agent-2', 'agent-3'];
export const RANDOM_QUEUES = ['queue-a', 'queue-b', 'queue-c'];
const AGENT_CONVERSATIONS = ['w0', 'w1', 'w2', 'w3'];

export interface AgentHistoryStep {
  agent: number;
  /** 0 register, 1 capacity, 2 join, 3 leave, 4 presence, 5-6 reserve, 7 wrap-up block, 8 release, 9 define a queue. */
  op: number;
  queue: number;
  /** Bit mask over RANDOM_QUEUES: the queues a registration names. */
  queueMask: number;
  conversation: number;
  number: number;
  pick: number;
  flag: boolean;
  /** Minutes until a wrap-up block ends, none: blocks until released. */
  blockMinutes?: number;
  gapMinutes: number;
  sync: boolean;
}

const agentStep: fc.Arbitrary<AgentHistoryStep> = fc.record(
  {
    agent: fc.nat({ max: RANDOM_AGENTS.length - 1 }),
    op: fc.nat({ max: 9 }),
    queue: fc.nat({ max: RANDOM_QUEUES.length - 1 }),
    queueMask: fc.nat({ max: 2 ** RANDOM_QUEUES.length - 1 }),
    conversation: fc.nat({ max: AGENT_CONVERSATIONS.length - 1 }),
    number: fc.nat({ max: 4 }),
    pick: fc.nat({ max: 99 }),
    flag: fc.boolean(),
    blockMinutes: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    gapMinutes: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 5, noNaN: true })),
    sync: endsChunk(),
  },
  { requiredKeys: ['agent', 'op', 'queue', 'queueMask', 'conversation', 'number', 'pick', 'flag', 'gapMinutes', 'sync'] },
);

export const randomAgentHistory = (): fc.Arbitrary<AgentHistoryStep[]> => fc.array(agentStep, { minLength: 1, maxLength: 50, size: 'max' });

/** Plays the steps against the log; returns the minute of the last step. `sync` is awaited after steps that end a chunk. */
export async function playAgentHistory(log: AgentLog, steps: readonly AgentHistoryStep[], sync: ChunkSync): Promise<number> {
  let minute = 0;
  await playInChunks(
    steps,
    (s) => s.sync,
    log,
    sync,
    async (s) => {
      minute += s.gapMinutes;
      const agentId = RANDOM_AGENTS[s.agent];
      const queueId = RANDOM_QUEUES[s.queue];
      const conversationId = AGENT_CONVERSATIONS[s.conversation];
      const state = log.agentState(agentId);
      if (s.op === 9) {
        await log.defineQueue(queueId, minute, {
          priority: s.number,
          mode: s.flag ? 'push' : 'pick',
          method: ASSIGNMENT_METHODS[s.pick % ASSIGNMENT_METHODS.length],
        });
      } else if (state.status !== 'registered' && s.op === 4) {
        // Before its registration: the domain ignores it, and so must the projection.
        await log.agentEvent(agentId, minute, { type: 'AgentPresenceChanged', data: { presence: 'available', previous: 'offline' } });
      } else if (state.status !== 'registered' || s.op === 0) {
        const queueIds = RANDOM_QUEUES.filter((_, index) => (s.queueMask & (1 << index)) !== 0);
        await log.register(agentId, minute, { capacity: s.number, queueIds, presence: PRESENCES[s.pick % PRESENCES.length] });
      } else {
        const claim = state.claims[conversationId];
        if (s.op === 1) await log.changeCapacity(agentId, minute, s.number);
        else if (s.op === 2) await log.join(agentId, minute, queueId);
        else if (s.op === 3) await log.leave(agentId, minute, queueId);
        else if (s.op === 4) await log.presence(agentId, minute, PRESENCES[s.pick % PRESENCES.length]);
        else if (s.op === 7 && claim !== undefined) {
          await log.blockForWrapUp(agentId, minute, conversationId, s.blockMinutes === undefined ? undefined : minute + s.blockMinutes);
        } else if (s.op === 8 && claim !== undefined) await log.release(agentId, minute, conversationId);
        else {
          // Also when there is no claim to block or release: take one.
          await log.reserve(agentId, minute, conversationId, {
            channel: CHANNELS[s.pick % CHANNELS.length],
            queueId,
            units: s.number,
            purpose: s.flag ? 'forced' : 'pick',
            conversationRevision: s.pick,
          });
        }
      }
    },
  );
  return minute;
}
