/**
 * Given / when / then for the conversation decider, plus small builders with a fixed clock,
 * so spec cases read as documentation:
 *
 *   given(opened('sms'), picked(AGENT, 1)).when(closeSession(AGENT, 5)).then([...])
 *
 * Times are minutes after T0 (fractions allowed, rounded to the millisecond), so a timer's due
 * time reads as `due(2, MINUTE)` (one minute after minute 2) and "1 ms before" as `justBefore(...)`.
 *
 * Test-only: nothing in production imports this file.
 */
import type { Actor } from '../../shared/actor';
import { agent, customer, system } from '../../shared/actor';
import type { IsoTime } from '../../shared/time';
import { allowedActions, type ConversationAction } from '../conversation.actions';
import type { Channel } from '../conversation.channel';
import type { ConversationCommand } from '../conversation.commands';
import { ConversationError, type ConversationErrorCode } from '../conversation.errors';
import type { ConversationEvent, ConversationEventType, ConversationFact } from '../conversation.events';
import type { ConversationPolicy } from '../conversation.policy';
import { evolveAll, type ConversationState, type ConversationStatus, type ExistingConversationState } from '../conversation.state';
import { decide } from '../conversation.decide';
import { InvalidCommandError } from '../../shared/command-validation';

// ---------------------------------------------------------------------------------------------
// Fixed clock and names
// ---------------------------------------------------------------------------------------------

export const T0: IsoTime = '2026-01-01T00:00:00.000Z';
/** The time `minutes` after T0 (fractions allowed). */
export const at = (minutes: number): IsoTime => new Date(Date.parse(T0) + Math.round(minutes * 60_000)).toISOString();
export const MINUTE = 60_000;
/** The minute at which a timer started at `sinceMinute` with `durationMs` is due. */
export const due = (sinceMinute: number, durationMs: number): number => sinceMinute + durationMs / MINUTE;
/** `ms` milliseconds before `minute` (by default 1 ms: the last instant a timer is not yet due). */
export const justBefore = (minute: number, ms = 1): number => minute - ms / MINUTE;
/** The minute after T0 of an ISO time. */
export const minuteOf = (time: IsoTime): number => (Date.parse(time) - Date.parse(T0)) / MINUTE;

// Default durations of the timer command builders.
export const PUSH_RESERVATION_MS = 2 * MINUTE;
export const AGENT_DISCONNECT_MS = MINUTE;
export const CUSTOMER_DISCONNECT_MS = 3 * MINUTE;

export const CONVERSATION = 'conversation-1';
export const CUSTOMER = 'customer-1';
export const QUEUE = 'queue-a';
export const OTHER_QUEUE = 'queue-b';
/** The agent who gets the conversation in most cases. */
export const AGENT = 'agent-a';
/** Someone else: a second agent, a transfer target. */
export const OTHER_AGENT = 'agent-b';
export const CONSULTANT = 'agent-c';
export const SUPERVISOR = 'supervisor-1';
export const ROUTING = system('routing');

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

type EventOf<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>;
type OwnData<T extends ConversationEventType> = Omit<EventOf<T>['data'], keyof ConversationFact>;

/** Any event written out in full: type, minute after T0, actor, reason and its own data. */
export const event = <T extends ConversationEventType>(type: T, minute: number, by: Actor, reason: string, data: OwnData<T>): EventOf<T> =>
  ({ type, data: { conversationId: CONVERSATION, at: at(minute), by, reason, ...data } }) as unknown as EventOf<T>;

// Short builders for the `given` part. Reasons and actors are the ones the decider writes.
export const opened = (channel: Channel, minute = 0, queueId = QUEUE) =>
  event('ConversationOpened', minute, customer(CUSTOMER), 'customer_started', {
    channel,
    queueId,
    customerId: CUSTOMER,
    priority: 0,
  });
export const picked = (agentId: string, minute: number, queueId = QUEUE) =>
  event('ConversationPicked', minute, agent(agentId), 'agent_picked_from_queue', { agentId, queueId });
export const pushed = (agentId: string, minute: number, queueId = QUEUE) =>
  event('ConversationPushedToAgent', minute, ROUTING, 'routed_to_agent', { agentId, queueId });
export const forceAssigned = (agentId: string, minute: number, by: Actor = ROUTING, queueId = QUEUE) =>
  event('ConversationForceAssigned', minute, by, 'supervisor_forced_assignment', { agentId, queueId });
export const pushAccepted = (agentId: string, minute: number) =>
  event('ConversationPushAccepted', minute, agent(agentId), 'agent_accepted_push', { agentId });
export const pushRejected = (agentId: string, minute: number, queueId = QUEUE) =>
  event('ConversationPushRejected', minute, agent(agentId), 'agent_rejected_push', { agentId, queueId });
export const released = (agentId: string, minute: number, queueId = QUEUE) =>
  event('ConversationReleasedToQueue', minute, agent(agentId), 'agent_released_to_queue', { agentId, queueId });
export const endedByAgent = (agentId: string, minute: number) =>
  event('ConversationEndedByAgent', minute, agent(agentId), 'agent_pressed_end', { agentId });
export const endedByCustomer = (agentId: string, minute: number) =>
  event('ConversationEndedByCustomer', minute, customer(CUSTOMER), 'customer_ended', { agentId });
export const parked = (agentId: string, minute: number) =>
  event('ConversationParked', minute, agent(agentId), 'agent_closed_session_without_ending', { agentId });
export const revivedByAgent = (agentId: string, minute: number) =>
  event('ConversationRevivedByAgent', minute, agent(agentId), 'agent_revived_from_my_work_items', { agentId });
export const agentDisconnected = (agentId: string, minute: number) =>
  event('AgentDisconnected', minute, agent(agentId), 'agent_connection_lost', { agentId });
export const agentReconnected = (agentId: string, minute: number) =>
  event('AgentReconnected', minute, agent(agentId), 'agent_reconnected', { agentId });
export const customerDisconnected = (minute: number) =>
  event('CustomerDisconnected', minute, customer(CUSTOMER), 'customer_connection_lost', {});
export const customerReconnected = (minute: number) => event('CustomerReconnected', minute, customer(CUSTOMER), 'customer_reconnected', {});
export const customerWrote = (minute: number) => event('CustomerMessageReceived', minute, customer(CUSTOMER), 'customer_wrote', {});
export const agentWrote = (agentId: string, minute: number) =>
  event('AgentMessageSent', minute, agent(agentId), 'agent_wrote', { agentId });
export const consultStarted = (agentId: string, consultantId: string, minute: number) =>
  event('ConsultStarted', minute, agent(agentId), 'agent_started_consult', { agentId, consultantId });
export const transferredToAgent = (fromAgentId: string, toAgentId: string, minute: number) =>
  event('ConversationTransferredToAgent', minute, agent(fromAgentId), 'agent_transferred_to_agent', { fromAgentId, toAgentId });
export const monitoringStarted = (supervisorId: string, minute: number) =>
  event('MonitoringStarted', minute, { kind: 'supervisor', id: supervisorId }, 'supervisor_started_monitoring', { supervisorId });
export const forceClosed = (minute: number, reason = 'supervisor_closed') =>
  event('ConversationForceClosed', minute, { kind: 'supervisor', id: SUPERVISOR }, reason, { supervisorId: SUPERVISOR });

// ---------------------------------------------------------------------------------------------
// Commands (time as minutes after T0, in metadata.now)
// ---------------------------------------------------------------------------------------------

const meta = (minute: number) => ({ now: at(minute) });

export const open = (channel: Channel, minute = 0, queueId = QUEUE): ConversationCommand => ({
  type: 'OpenConversation',
  data: { conversationId: CONVERSATION, channel, queueId, customerId: CUSTOMER, priority: 0 },
  metadata: meta(minute),
});
export const pick = (agentId: string, minute: number): ConversationCommand => ({
  type: 'PickConversation',
  data: { agentId },
  metadata: meta(minute),
});
export const assign = (agentId: string, minute: number, by: Actor = ROUTING): ConversationCommand => ({
  type: 'AssignConversation',
  data: { agentId, force: false, by },
  metadata: meta(minute),
});
export const forceAssign = (agentId: string, minute: number, by: Actor): ConversationCommand => ({
  type: 'AssignConversation',
  data: { agentId, force: true, by },
  metadata: meta(minute),
});
export const accept = (agentId: string, minute: number): ConversationCommand => ({
  type: 'AcceptAssignment',
  data: { agentId },
  metadata: meta(minute),
});
export const reject = (agentId: string, minute: number, reason?: string): ConversationCommand => ({
  type: 'RejectAssignment',
  data: reason === undefined ? { agentId } : { agentId, reason },
  metadata: meta(minute),
});
export const expirePushReservation = (minute: number, timeoutMs = PUSH_RESERVATION_MS): ConversationCommand => ({
  type: 'ExpirePushReservation',
  data: { timeoutMs },
  metadata: meta(minute),
});
export const endByAgent = (agentId: string, minute: number): ConversationCommand => ({
  type: 'EndConversation',
  data: { by: 'agent', agentId },
  metadata: meta(minute),
});
export const endByCustomer = (minute: number): ConversationCommand => ({
  type: 'EndConversation',
  data: { by: 'customer' },
  metadata: meta(minute),
});
export const closeSession = (agentId: string, minute: number): ConversationCommand => ({
  type: 'CloseSession',
  data: { agentId },
  metadata: meta(minute),
});
export const release = (agentId: string, minute: number): ConversationCommand => ({
  type: 'ReleaseConversation',
  data: { agentId },
  metadata: meta(minute),
});
export const transferToQueue = (agentId: string, toQueueId: string, minute: number): ConversationCommand => ({
  type: 'TransferConversation',
  data: { agentId, toQueueId },
  metadata: meta(minute),
});
export const transferToAgent = (agentId: string, toAgentId: string, minute: number): ConversationCommand => ({
  type: 'TransferConversation',
  data: { agentId, toAgentId },
  metadata: meta(minute),
});
export const resolve = (agentId: string, minute: number): ConversationCommand => ({
  type: 'ResolveRecord',
  data: { agentId },
  metadata: meta(minute),
});
export const revive = (agentId: string, minute: number): ConversationCommand => ({
  type: 'ReviveConversation',
  data: { agentId },
  metadata: meta(minute),
});
export const disconnectAgent = (agentId: string, minute: number): ConversationCommand => ({
  type: 'DisconnectAgent',
  data: { agentId },
  metadata: meta(minute),
});
export const reconnectAgent = (agentId: string, minute: number): ConversationCommand => ({
  type: 'ReconnectAgent',
  data: { agentId },
  metadata: meta(minute),
});
export const timeOutAgentDisconnect = (minute: number, timeoutMs = AGENT_DISCONNECT_MS): ConversationCommand => ({
  type: 'TimeOutAgentDisconnect',
  data: { timeoutMs },
  metadata: meta(minute),
});
export const disconnectCustomer = (minute: number): ConversationCommand => ({
  type: 'DisconnectCustomer',
  data: {},
  metadata: meta(minute),
});
export const reconnectCustomer = (minute: number): ConversationCommand => ({ type: 'ReconnectCustomer', data: {}, metadata: meta(minute) });
export const timeOutCustomerDisconnect = (minute: number, timeoutMs = CUSTOMER_DISCONNECT_MS): ConversationCommand => ({
  type: 'TimeOutCustomerDisconnect',
  data: { timeoutMs },
  metadata: meta(minute),
});
export const customerMessage = (minute: number): ConversationCommand => ({
  type: 'RecordMessage',
  data: { from: 'customer' },
  metadata: meta(minute),
});
export const agentMessage = (agentId: string, minute: number): ConversationCommand => ({
  type: 'RecordMessage',
  data: { from: 'agent', agentId },
  metadata: meta(minute),
});
export const startConsult = (agentId: string, consultantId: string, minute: number): ConversationCommand => ({
  type: 'StartConsult',
  data: { agentId, consultantId },
  metadata: meta(minute),
});
export const endConsult = (consultantId: string, minute: number): ConversationCommand => ({
  type: 'EndConsult',
  data: { consultantId },
  metadata: meta(minute),
});
export const monitor = (supervisorId: string, minute: number): ConversationCommand => ({
  type: 'StartMonitoring',
  data: { supervisorId },
  metadata: meta(minute),
});
export const forceClose = (supervisorId: string, reason: string, minute: number): ConversationCommand => ({
  type: 'ForceClose',
  data: { supervisorId, reason },
  metadata: meta(minute),
});
export const autoClose = (afterMs: number, minute: number): ConversationCommand => ({
  type: 'AutoClose',
  data: { afterMs },
  metadata: meta(minute),
});
export const closeForInactivity = (timeoutMs: number, minute: number): ConversationCommand => ({
  type: 'CloseForInactivity',
  data: { timeoutMs },
  metadata: meta(minute),
});

// ---------------------------------------------------------------------------------------------
// Timers: what each timer command waits for (written from docs/architecture.md, "Timers", not read from the decider)
// ---------------------------------------------------------------------------------------------

export type TimerAction = Extract<
  ConversationAction,
  'expire-push-reservation' | 'time-out-agent-disconnect' | 'time-out-customer-disconnect' | 'close-for-inactivity' | 'auto-close'
>;

/**
 * For each timer action: the name its TIMER_NOT_DUE refusal gives, and since when its condition
 * has lasted. The command is due once now - since >= its duration.
 */
export const TIMER_CLOCK: Record<TimerAction, { timer: string; since: (state: ExistingConversationState) => IsoTime | undefined }> = {
  // the push happened when the status became active (awaiting acceptance)
  'expire-push-reservation': { timer: 'push reservation', since: (s) => s.statusSince },
  'time-out-agent-disconnect': { timer: 'agent disconnect', since: (s) => (s.status === 'active' ? s.agentDisconnectedAt : undefined) },
  'time-out-customer-disconnect': { timer: 'customer disconnect', since: (s) => s.customerDisconnectedAt },
  // messages from either side and parking
  'close-for-inactivity': { timer: 'inactivity', since: (s) => s.lastActivityAt },
  // status changes, monitor, consult start, transfer to an agent
  'auto-close': { timer: 'auto-close', since: (s) => s.autoCloseClockSince },
};
export const TIMER_ACTIONS = Object.keys(TIMER_CLOCK) as TimerAction[];
export const isTimerAction = (action: ConversationAction): action is TimerAction => action in TIMER_CLOCK;

/** The details a TIMER_NOT_DUE refusal carries: the timer's name and when it would be due. */
export const notDue = (action: TimerAction, dueMinute: number) => ({ timer: TIMER_CLOCK[action].timer, dueAt: at(dueMinute) });

// ---------------------------------------------------------------------------------------------
// given / when / then
// ---------------------------------------------------------------------------------------------

export interface ExpectedRefusal {
  /** Defaults to the status of the given state. */
  status?: ConversationStatus | 'none';
  /** Defaults to allowedActions() of the given state. */
  allowedActions?: ConversationAction[];
  details?: Record<string, unknown>;
}

/** Runs decide and returns what it threw (fails the test if it did not throw a ConversationError). */
export const refusalOf = (run: () => unknown): ConversationError => {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof ConversationError) return error;
    throw error;
  }
  throw new Error(`Expected a ConversationError, but decide returned ${JSON.stringify(result)}`);
};

export const invalidDataOf = (run: () => unknown): InvalidCommandError => {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof InvalidCommandError) return error;
    throw error;
  }
  throw new Error(`Expected an InvalidCommandError, but decide returned ${JSON.stringify(result)}`);
};

export const given = (...history: ConversationEvent[]) => {
  const state: ConversationState = evolveAll(history);
  const withPolicy = (policy?: ConversationPolicy) => ({
    when: (command: ConversationCommand) => ({
      /** Exactly these events (deep equality); returns the state after folding them. */
      then: (expected: ConversationEvent[]): ConversationState => {
        const events = decide(command, state, policy);
        expect(events).toEqual(expected);
        return evolveAll(events, state);
      },
      /** Refused with this code; status and allowedActions default to the given state's. */
      thenThrows: (code: ConversationErrorCode, partial: ExpectedRefusal = {}): ConversationError => {
        const error = refusalOf(() => decide(command, state, policy));
        expect({ code: error.code, status: error.status, allowedActions: error.allowedActions }).toEqual({
          code,
          status: partial.status ?? state.status,
          allowedActions: partial.allowedActions ?? allowedActions(state),
        });
        if (partial.details) expect(error.details).toEqual(expect.objectContaining(partial.details));
        return error;
      },
      /** Refused before any rule: the data itself could not be recorded. */
      thenRefusesData: (field: string): InvalidCommandError => {
        const error = invalidDataOf(() => decide(command, state, policy));
        expect({ code: error.code, field: error.field }).toEqual({ code: 'CONVERSATION.INVALID_COMMAND', field });
        return error;
      },
    }),
  });
  return { state, withPolicy, ...withPolicy() };
};
