/**
 * Test-only: the one generator of random but valid conversation histories for property tests
 * (the read models' and the reports'). Each step names a conversation and picks one of the
 * actions its current state allows (closing ones damped, mostly naming the agent who holds it,
 * so walks go deep); the caller's writer decides it with the domain, and a refused command (a
 * timer not due yet) writes nothing. Some steps write to another stream instead; with `chunks`,
 * some end a chunk (the caller waits for its projector there).
 *
 * Writer-agnostic: `walkConversationHistory` says what each step writes, reading the state
 * through the caller as it goes, so a synchronous writer and an asynchronous one both play it.
 *
 * Nothing in production imports this file.
 */
import fc from 'fast-check';
import { supervisor, system } from '../../shared/actor';
import { allowedActions, type ConversationAction } from '../conversation.actions';
import { CHANNELS } from '../conversation.channel';
import type { ConversationCommand } from '../conversation.commands';
import type { ConversationState } from '../conversation.state';

const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const QUEUES = ['queue-a', 'queue-b'];
/** Always allowed, so without damping every conversation would close within a few steps. */
const CLOSING: readonly ConversationAction[] = ['force-close', 'auto-close'];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A command without its metadata (the writer gives it the step's time). */
export type RandomCommandBody = DistributiveOmit<ConversationCommand, 'metadata'>;

export interface RandomConversationHistoryOptions {
  /** The conversations the steps name. */
  conversations: readonly string[];
  /** The durations (ms) a timer command may name. */
  durations: readonly number[];
  /** Weights of a short gap before a step (up to 10 minutes) and a long one (up to 2 days). */
  gapWeights: { short: number; long: number };
  /** Most steps in one history (at least one). */
  maxLength: number;
  /** Who starts monitoring: the first when the step's flag is set, the last otherwise. */
  monitoringSupervisors: readonly [string, ...string[]];
  /** Steps carry `sync`: 2 in 10 end a chunk. */
  chunks: boolean;
}

/** What a walk needs of the options (the rest shapes the steps). */
export type ConversationWalkOptions = Pick<RandomConversationHistoryOptions, 'conversations' | 'durations' | 'monitoringSupervisors'>;

export interface ConversationHistoryStep {
  conversation: number;
  /** Which allowed action (modulo how many are allowed now). */
  action: number;
  /** 0-9: below 8, the command names the agent who holds the conversation (when one does). */
  holderRoll: number;
  agent: number;
  other: number;
  queue: number;
  channel: number;
  priority: number;
  duration: number;
  flag: boolean;
  /** 0-9: below 2, a closing action may be chosen; 9 writes to another stream instead. */
  roll: number;
  gapMs: number;
  /** With `chunks`: wait for the projector to reach the log's head after this step (ends a chunk). */
  sync?: boolean;
}

export const randomConversationHistory = (options: RandomConversationHistoryOptions): fc.Arbitrary<ConversationHistoryStep[]> => {
  const fields = {
    conversation: fc.nat({ max: options.conversations.length - 1 }),
    action: fc.nat({ max: 999 }),
    holderRoll: fc.nat({ max: 9 }),
    agent: fc.nat({ max: AGENTS.length - 1 }),
    other: fc.nat({ max: AGENTS.length - 1 }),
    queue: fc.nat({ max: QUEUES.length - 1 }),
    channel: fc.nat({ max: CHANNELS.length - 1 }),
    priority: fc.nat({ max: 3 }),
    duration: fc.nat({ max: options.durations.length - 1 }),
    flag: fc.boolean(),
    roll: fc.nat({ max: 9 }),
    gapMs: fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 600_000 }), weight: options.gapWeights.short },
      { arbitrary: fc.integer({ min: 0, max: 2 * 86_400_000 }), weight: options.gapWeights.long },
    ),
  };
  const step: fc.Arbitrary<ConversationHistoryStep> = options.chunks
    ? fc.record({ ...fields, sync: fc.nat({ max: 9 }).map((roll) => roll < 2) })
    : fc.record(fields);
  return fc.array(step, { minLength: 1, maxLength: options.maxLength, size: 'max' });
};

/** What one step writes. */
export type RandomWrite =
  | { kind: 'command'; conversationId: string; body: RandomCommandBody }
  | { kind: 'other-stream'; stream: string }
  /** No action allowed, or an open conversation asked to open again. */
  | { kind: 'nothing' };

export interface WalkedStep {
  step: ConversationHistoryStep;
  /** The step's time (ISO): `start` plus every gap so far, this step's included. */
  time: string;
  /** Milliseconds from `start` to `time`. */
  elapsedMs: number;
  write: RandomWrite;
}

const holderOf = (state: ConversationState): string | undefined =>
  state.status === 'active' || state.status === 'waiting' || state.status === 'wrap_up' ? state.agentId : undefined;

/**
 * Each step in turn with what it writes, chosen against `stateOf` when the step is reached:
 * write one step before taking the next.
 */
export function* walkConversationHistory(
  steps: readonly ConversationHistoryStep[],
  options: ConversationWalkOptions,
  start: string,
  stateOf: (conversationId: string) => ConversationState,
): Generator<WalkedStep, void, undefined> {
  const startMs = Date.parse(start);
  let clock = startMs;
  for (const step of steps) {
    clock += step.gapMs;
    const write = writeFor(step, options, stateOf);
    yield { step, time: new Date(clock).toISOString(), elapsedMs: clock - startMs, write };
  }
}

function writeFor(
  s: ConversationHistoryStep,
  options: ConversationWalkOptions,
  stateOf: (conversationId: string) => ConversationState,
): RandomWrite {
  if (s.roll === 9) return { kind: 'other-stream', stream: `agent-${AGENTS[s.agent]}` };
  const conversationId = options.conversations[s.conversation];
  const body = bodyFor(s, options, conversationId, stateOf(conversationId));
  return body === undefined ? { kind: 'nothing' } : { kind: 'command', conversationId, body };
}

/** A command for one of the actions the state allows (timers may still be refused as not due). */
function bodyFor(
  s: ConversationHistoryStep,
  options: ConversationWalkOptions,
  conversationId: string,
  state: ConversationState,
): RandomCommandBody | undefined {
  if (state.status === 'none') {
    return {
      type: 'OpenConversation',
      data: {
        conversationId,
        channel: CHANNELS[s.channel],
        queueId: QUEUES[s.queue],
        customerId: `customer-${conversationId}`,
        priority: s.priority,
      },
    };
  }
  const allowed = allowedActions(state);
  const calm = allowed.filter((action) => !CLOSING.includes(action));
  const pool = s.roll < 2 || calm.length === 0 ? allowed : calm;
  if (pool.length === 0) return undefined;
  const action = pool[s.action % pool.length];
  const holder = holderOf(state);
  const agentId = s.holderRoll < 8 && holder !== undefined ? holder : AGENTS[s.agent];
  const consultants = state.status === 'active' ? state.consultants : [];
  const other = s.flag && consultants.length > 0 ? consultants[0] : AGENTS[s.other];
  const ms = options.durations[s.duration];
  const monitoring = options.monitoringSupervisors;
  switch (action) {
    case 'open':
      return undefined;
    case 'pick':
      return { type: 'PickConversation', data: { agentId } };
    case 'assign':
      return { type: 'AssignConversation', data: { agentId, force: s.flag, by: s.flag ? supervisor('supervisor-1') : system('routing') } };
    case 'accept':
      return { type: 'AcceptAssignment', data: { agentId } };
    case 'reject':
      return { type: 'RejectAssignment', data: { agentId } };
    case 'expire-push-reservation':
      return { type: 'ExpirePushReservation', data: { timeoutMs: ms } };
    case 'end-by-agent':
      return { type: 'EndConversation', data: { by: 'agent', agentId } };
    case 'end-by-customer':
      return { type: 'EndConversation', data: { by: 'customer' } };
    case 'close-session':
      return { type: 'CloseSession', data: { agentId } };
    case 'release':
      return { type: 'ReleaseConversation', data: { agentId } };
    case 'transfer':
      return s.flag
        ? { type: 'TransferConversation', data: { agentId, toAgentId: AGENTS[s.other] } }
        : { type: 'TransferConversation', data: { agentId, toQueueId: QUEUES[s.queue] } };
    case 'resolve':
      return { type: 'ResolveRecord', data: { agentId } };
    case 'revive':
      return { type: 'ReviveConversation', data: { agentId } };
    case 'agent-disconnect':
      return { type: 'DisconnectAgent', data: { agentId } };
    case 'agent-reconnect':
      return { type: 'ReconnectAgent', data: { agentId } };
    case 'time-out-agent-disconnect':
      return { type: 'TimeOutAgentDisconnect', data: { timeoutMs: ms } };
    case 'customer-disconnect':
      return { type: 'DisconnectCustomer', data: {} };
    case 'customer-reconnect':
      return { type: 'ReconnectCustomer', data: {} };
    case 'time-out-customer-disconnect':
      return { type: 'TimeOutCustomerDisconnect', data: { timeoutMs: ms } };
    case 'customer-message':
      return { type: 'RecordMessage', data: { from: 'customer' } };
    case 'agent-message':
      return { type: 'RecordMessage', data: { from: 'agent', agentId } };
    case 'consult':
      return { type: 'StartConsult', data: { agentId, consultantId: other } };
    case 'consult-end':
      return { type: 'EndConsult', data: { consultantId: other } };
    case 'monitor':
      return { type: 'StartMonitoring', data: { supervisorId: s.flag ? monitoring[0] : monitoring[monitoring.length - 1] } };
    case 'force-close':
      return { type: 'ForceClose', data: { supervisorId: 'supervisor-1', reason: 'spam' } };
    case 'auto-close':
      return { type: 'AutoClose', data: { afterMs: ms } };
    case 'close-for-inactivity':
      return { type: 'CloseForInactivity', data: { timeoutMs: ms } };
  }
}
