/**
 * Test-only: random but valid conversation histories for property tests. Each step names a
 * conversation and picks one of the actions its current state allows (closing ones damped,
 * mostly naming the agent who holds it, so walks go deep); the domain decides it, and a
 * refused command (a timer not due yet) writes nothing. Some steps write to other streams;
 * some end a chunk (the caller waits for the projector there).
 */
import { allowedActions, CHANNELS, supervisor, system, type ConversationAction, type ConversationState } from '@lib/domain';
import fc from 'fast-check';
import { T0, type CommandBody, type ConversationLog } from './conversation-log';

const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const QUEUES = ['queue-a', 'queue-b'];
const CONVERSATIONS = ['p0', 'p1', 'p2', 'p3', 'p4'];
const DURATIONS = [0, 60_000, 3_600_000, 86_400_000];
/** Always allowed, so without damping every conversation would close within a few steps. */
const CLOSING: readonly ConversationAction[] = ['force-close', 'auto-close'];

export interface HistoryStep {
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
  /** Wait for the projector to reach the log's head after this step (ends a chunk). */
  sync: boolean;
}

const step: fc.Arbitrary<HistoryStep> = fc.record({
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
    { arbitrary: fc.integer({ min: 0, max: 600_000 }), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 2 * 86_400_000 }), weight: 1 },
  ),
  sync: fc.nat({ max: 9 }).map((roll) => roll < 2),
});

export const randomHistory = (): fc.Arbitrary<HistoryStep[]> => fc.array(step, { minLength: 1, maxLength: 70, size: 'max' });

const holderOf = (state: ConversationState): string | undefined =>
  state.status === 'active' || state.status === 'waiting' || state.status === 'wrap_up' ? state.agentId : undefined;

/** A command for one of the actions the state allows (timers may still be refused as not due). */
function bodyFor(s: HistoryStep, conversationId: string, state: ConversationState): CommandBody | 'other-stream' | undefined {
  if (s.roll === 9) return 'other-stream';
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
    case 'monitor': return { type: 'StartMonitoring', data: { supervisorId: s.flag ? 'supervisor-1' : 'supervisor-2' } };
    case 'force-close': return { type: 'ForceClose', data: { supervisorId: 'supervisor-1', reason: 'spam' } };
    case 'auto-close': return { type: 'AutoClose', data: { afterMs: ms } };
    case 'close-for-inactivity': return { type: 'CloseForInactivity', data: { timeoutMs: ms } };
  }
}

/** Plays the steps against the log; `sync` is awaited after steps that end a chunk. */
export async function playHistory(
  log: ConversationLog,
  steps: readonly HistoryStep[],
  sync: (position: number) => Promise<boolean>,
): Promise<void> {
  let clock = Date.parse(T0);
  for (const s of steps) {
    clock += s.gapMs;
    const conversationId = CONVERSATIONS[s.conversation];
    const body = bodyFor(s, conversationId, log.state(conversationId));
    if (body === 'other-stream') await log.otherStreamEvent(`agent-${AGENTS[s.agent]}`);
    else if (body !== undefined) await log.tryRun(conversationId, new Date(clock).toISOString(), body);
    if (s.sync && log.lastPosition > 0) await sync(log.lastPosition);
  }
}
