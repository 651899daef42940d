/**
 * Test-only: random but valid histories for property tests. Each step names one of a few
 * conversations and picks one of the actions its state allows (closing ones damped so walks go
 * deep, the acting agent mostly the holder); the domain decides it, a refused command (a timer
 * not due yet) writes nothing. Some steps write to another stream instead.
 */
import { allowedActions, CHANNELS, supervisor, system, type ConversationAction, type ConversationState } from '@lib/domain';
import fc from 'fast-check';
import { HistoryWriter, START, type CommandBody } from './history';

const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const QUEUES = ['queue-a', 'queue-b'];
const CONVERSATIONS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
const DURATIONS = [0, 60_000, 900_000, 3_600_000, 86_400_000];
const CLOSING: readonly ConversationAction[] = ['force-close', 'auto-close'];

export interface RandomStep {
  conversation: number;
  action: number;
  holderRoll: number;
  agent: number;
  other: number;
  queue: number;
  channel: number;
  priority: number;
  duration: number;
  flag: boolean;
  roll: number;
  gapMs: number;
}

const step: fc.Arbitrary<RandomStep> = fc.record({
  conversation: fc.nat({ max: CONVERSATIONS.length - 1 }),
  action: fc.nat({ max: 999 }),
  holderRoll: fc.nat({ max: 9 }),
  agent: fc.nat({ max: AGENTS.length - 1 }),
  other: fc.nat({ max: AGENTS.length - 1 }),
  queue: fc.nat({ max: QUEUES.length - 1 }),
  channel: fc.nat({ max: CHANNELS.length - 1 }),
  priority: fc.nat({ max: 3 }),
  duration: fc.nat({ max: DURATIONS.length - 1 }),
  flag: fc.boolean(),
  roll: fc.nat({ max: 9 }),
  gapMs: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 600_000 }), weight: 5 },
    { arbitrary: fc.integer({ min: 0, max: 2 * 86_400_000 }), weight: 1 },
  ),
});

export const randomSteps = (maxLength = 60): fc.Arbitrary<RandomStep[]> =>
  fc.array(step, { minLength: 1, maxLength, size: 'max' });

const holderOf = (state: ConversationState): string | undefined =>
  state.status === 'active' || state.status === 'waiting' || state.status === 'wrap_up' ? state.agentId : undefined;

function bodyFor(s: RandomStep, conversationId: string, state: ConversationState): CommandBody | undefined {
  if (state.status === 'none') {
    return {
      type: 'OpenConversation',
      data: { conversationId, channel: CHANNELS[s.channel], queueId: QUEUES[s.queue], customerId: `customer-${conversationId}`, priority: s.priority },
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
  const ms = DURATIONS[s.duration];
  switch (action) {
    case 'open': return undefined;
    case 'pick': return { type: 'PickConversation', data: { agentId } };
    case 'assign': return { type: 'AssignConversation', data: { agentId, force: s.flag, by: s.flag ? supervisor('supervisor-1') : system('routing') } };
    case 'accept': return { type: 'AcceptAssignment', data: { agentId } };
    case 'reject': return { type: 'RejectAssignment', data: { agentId } };
    case 'expire-push-reservation': return { type: 'ExpirePushReservation', data: { timeoutMs: ms } };
    case 'end-by-agent': return { type: 'EndConversation', data: { by: 'agent', agentId } };
    case 'end-by-customer': return { type: 'EndConversation', data: { by: 'customer' } };
    case 'close-session': return { type: 'CloseSession', data: { agentId } };
    case 'release': return { type: 'ReleaseConversation', data: { agentId } };
    case 'transfer':
      return s.flag
        ? { type: 'TransferConversation', data: { agentId, toAgentId: AGENTS[s.other] } }
        : { type: 'TransferConversation', data: { agentId, toQueueId: QUEUES[s.queue] } };
    case 'resolve': return { type: 'ResolveRecord', data: { agentId } };
    case 'revive': return { type: 'ReviveConversation', data: { agentId } };
    case 'agent-disconnect': return { type: 'DisconnectAgent', data: { agentId } };
    case 'agent-reconnect': return { type: 'ReconnectAgent', data: { agentId } };
    case 'time-out-agent-disconnect': return { type: 'TimeOutAgentDisconnect', data: { timeoutMs: ms } };
    case 'customer-disconnect': return { type: 'DisconnectCustomer', data: {} };
    case 'customer-reconnect': return { type: 'ReconnectCustomer', data: {} };
    case 'time-out-customer-disconnect': return { type: 'TimeOutCustomerDisconnect', data: { timeoutMs: ms } };
    case 'customer-message': return { type: 'RecordMessage', data: { from: 'customer' } };
    case 'agent-message': return { type: 'RecordMessage', data: { from: 'agent', agentId } };
    case 'consult': return { type: 'StartConsult', data: { agentId, consultantId: other } };
    case 'consult-end': return { type: 'EndConsult', data: { consultantId: other } };
    case 'monitor': return { type: 'StartMonitoring', data: { supervisorId: 'supervisor-1' } };
    case 'force-close': return { type: 'ForceClose', data: { supervisorId: 'supervisor-1', reason: 'spam' } };
    case 'auto-close': return { type: 'AutoClose', data: { afterMs: ms } };
    case 'close-for-inactivity': return { type: 'CloseForInactivity', data: { timeoutMs: ms } };
  }
}

/** Plays the steps (time advancing by each step's gap from START); returns the writer and the last time. */
export function playRandomSteps(steps: readonly RandomStep[]): { writer: HistoryWriter; endMs: number } {
  const writer = new HistoryWriter();
  let clock = Date.parse(START);
  for (const s of steps) {
    clock += s.gapMs;
    const conversationId = CONVERSATIONS[s.conversation];
    if (s.roll === 9) {
      writer.otherStream(`agent-${AGENTS[s.agent]}`, (clock - Date.parse(START)) / 60_000);
      continue;
    }
    const body = bodyFor(s, conversationId, writer.state(conversationId));
    if (body !== undefined) writer.tryRunAt(conversationId, new Date(clock).toISOString(), body);
  }
  return { writer, endMs: clock };
}
