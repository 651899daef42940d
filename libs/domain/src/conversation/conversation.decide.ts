import type { Actor } from '../shared/actor';
import { agent, customer, supervisor, system } from '../shared/actor';
import { millisBetween, type IsoTime } from '../shared/time';
import { actionOf, allowedActions, isAllowed, type ConversationAction } from './conversation.actions';
import { isLiveChat } from './conversation.channel';
import type { ConversationCommand, ConversationCommandType } from './conversation.commands';
import { ConversationError } from './conversation.errors';
import { validateConversationCommand } from './conversation.validation';
import type { ConversationEvent, ConversationFact } from './conversation.events';
import { DEFAULT_CONVERSATION_POLICY, type ConversationPolicy } from './conversation.policy';
import { holderOf, type ActiveConversationState, type ConversationState, type ExistingConversationState } from './conversation.state';

/**
 * Decides what happens when `command` meets `state`: the events to append, or a
 * ConversationError. Pure: time comes in as command.metadata.now; nothing is read or written.
 */
export const decide = (
  command: ConversationCommand,
  state: ConversationState,
  policy: ConversationPolicy = DEFAULT_CONVERSATION_POLICY,
): ConversationEvent[] => {
  validateConversationCommand(command);
  const action = actionOf(command);
  if (command.type === 'OpenConversation') {
    if (state.status !== 'none') {
      throw new ConversationError(
        'CONVERSATION.ALREADY_EXISTS',
        `Conversation ${state.id} already exists (status ${state.status}); open it with another id`,
        state.id,
        state.status,
        allowedActions(state),
      );
    }
    const { conversationId, channel, queueId, customerId, priority } = command.data;
    return [
      {
        type: 'ConversationOpened',
        data: {
          conversationId,
          at: command.metadata.now,
          by: customer(customerId),
          reason: 'customer_started',
          channel,
          queueId,
          customerId,
          priority,
        },
      },
    ];
  }
  if (state.status === 'none') {
    throw new ConversationError('CONVERSATION.NOT_FOUND', 'Conversation not found; open it first', undefined, 'none', ['open']);
  }
  if (!isAllowed(action, state)) throw notAllowed(action, state);
  assertActingAgentHoldsIt(command, state);
  return decideAllowed(command, state, policy);
};

const notAllowed = (action: ConversationAction, state: ExistingConversationState): ConversationError => {
  const allowed = allowedActions(state);
  const condition =
    state.status === 'active' && state.assignment === 'awaiting_acceptance'
      ? " (awaiting the agent's acceptance)"
      : state.status === 'active' && !state.agentConnected
        ? ' (agent disconnected)'
        : '';
  return new ConversationError(
    'CONVERSATION.TRANSITION_NOT_ALLOWED',
    `Cannot ${action} a ${state.channel} conversation that is ${state.status}${condition}; allowed now: ${allowed.join(', ') || 'nothing (closed is final)'}`,
    state.id,
    state.status,
    allowed,
    { action, channel: state.channel },
  );
};

type CommandOfType<T extends ConversationCommandType> = Extract<ConversationCommand, { type: T }>;
const holderNamed = (command: { data: { agentId: string } }): string => command.data.agentId;
const noHolderCheck = (): undefined => undefined;

/**
 * Which commands only the agent holding the conversation may give, and the agent id each one
 * carries; every command has an entry, so a new one does not compile until it has decided.
 */
const ACTING_AGENT: { [T in ConversationCommandType]: (command: CommandOfType<T>) => string | undefined } = {
  OpenConversation: noHolderCheck,
  PickConversation: noHolderCheck,
  AssignConversation: noHolderCheck,
  AcceptAssignment: holderNamed,
  RejectAssignment: holderNamed,
  ExpirePushReservation: noHolderCheck,
  EndConversation: (command) => (command.data.by === 'agent' ? command.data.agentId : undefined),
  CloseSession: holderNamed,
  ReleaseConversation: holderNamed,
  TransferConversation: holderNamed,
  ResolveRecord: holderNamed,
  ReviveConversation: holderNamed,
  DisconnectAgent: holderNamed,
  ReconnectAgent: holderNamed,
  TimeOutAgentDisconnect: noHolderCheck,
  DisconnectCustomer: noHolderCheck,
  ReconnectCustomer: noHolderCheck,
  TimeOutCustomerDisconnect: noHolderCheck,
  RecordMessage: (command) => (command.data.from === 'agent' ? command.data.agentId : undefined),
  StartConsult: holderNamed,
  EndConsult: noHolderCheck,
  StartMonitoring: noHolderCheck,
  ForceClose: noHolderCheck,
  AutoClose: noHolderCheck,
  CloseForInactivity: noHolderCheck,
};

const actingAgentOf = <T extends ConversationCommandType>(command: CommandOfType<T>): string | undefined =>
  (ACTING_AGENT[command.type as T] as (command: CommandOfType<T>) => string | undefined)(command);

const assertActingAgentHoldsIt = (command: ConversationCommand, state: ExistingConversationState): void => {
  const actingAgent = actingAgentOf(command);
  if (actingAgent === undefined) return;
  if (holderOf(state) !== actingAgent) {
    throw new ConversationError(
      'CONVERSATION.NOT_HELD_BY_AGENT',
      `Agent ${actingAgent} does not hold this conversation; only the agent who holds it may ${actionOf(command)} it`,
      state.id,
      state.status,
      allowedActions(state),
      { agentId: actingAgent },
    );
  }
};

// Narrowing helpers: isAllowed() already guarantees these, they only tell the compiler.
const asActive = (state: ExistingConversationState): ActiveConversationState => {
  if (state.status !== 'active') throw new Error(`Expected active, got ${state.status}`);
  return state;
};
const heldBy = (state: ExistingConversationState): string => {
  const agentId = holderOf(state);
  if (agentId !== undefined) return agentId;
  throw new Error(`No agent holds a conversation that is ${state.status}`);
};

const decideAllowed = (
  command: Exclude<ConversationCommand, { type: 'OpenConversation' }>,
  state: ExistingConversationState,
  policy: ConversationPolicy,
): ConversationEvent[] => {
  const fact = (by: Actor, reason: string): ConversationFact => ({
    conversationId: state.id,
    at: command.metadata.now,
    by,
    reason,
  });
  const { queueId } = state;

  switch (command.type) {
    case 'PickConversation': {
      const { agentId } = command.data;
      return [{ type: 'ConversationPicked', data: { ...fact(agent(agentId), 'agent_picked_from_queue'), agentId, queueId } }];
    }
    case 'AssignConversation': {
      const { agentId, force, by } = command.data;
      return force
        ? [{ type: 'ConversationForceAssigned', data: { ...fact(by, 'supervisor_forced_assignment'), agentId, queueId } }]
        : [
            {
              type: 'ConversationPushedToAgent',
              data: { ...fact(by, by.kind === 'supervisor' ? 'supervisor_offered_to_agent' : 'routed_to_agent'), agentId, queueId },
            },
          ];
    }
    case 'AcceptAssignment': {
      const { agentId } = command.data;
      return [{ type: 'ConversationPushAccepted', data: { ...fact(agent(agentId), 'agent_accepted_push'), agentId } }];
    }
    case 'RejectAssignment': {
      const { agentId, reason } = command.data;
      return [{ type: 'ConversationPushRejected', data: { ...fact(agent(agentId), reason ?? 'agent_rejected_push'), agentId, queueId } }];
    }
    case 'ExpirePushReservation': {
      assertDue(state, 'push reservation', state.statusSince, command.data.timeoutMs, command.metadata.now);
      const agentId = heldBy(state);
      return [
        {
          type: 'ConversationPushReservationExpired',
          data: {
            ...fact(system('push-reservation-timer'), 'push_reservation_timeout'),
            agentId,
            queueId,
            timeoutMs: command.data.timeoutMs,
          },
        },
      ];
    }
    case 'EndConversation': {
      if (command.data.by === 'agent') {
        const { agentId } = command.data;
        return [{ type: 'ConversationEndedByAgent', data: { ...fact(agent(agentId), 'agent_pressed_end'), agentId } }];
      }
      return customerLeaves(state, fact(customer(state.customerId), 'customer_ended'));
    }
    case 'CloseSession': {
      const { agentId } = command.data;
      const by = agent(agentId);
      if (state.status === 'wrap_up') {
        return [{ type: 'ConversationWrapUpCompleted', data: { ...fact(by, 'agent_closed_session_after_wrap_up'), agentId } }];
      }
      if (isLiveChat(state.channel)) {
        return [
          { type: 'ConversationRequeuedOnSessionClose', data: { ...fact(by, 'agent_closed_active_live_chat_session'), agentId, queueId } },
        ];
      }
      return [{ type: 'ConversationParked', data: { ...fact(by, 'agent_closed_session_without_ending'), agentId } }];
    }
    case 'ReleaseConversation': {
      const { agentId } = command.data;
      const by = command.data.by ?? agent(agentId);
      const reason = by.kind === 'supervisor' ? 'supervisor_released_to_queue' : 'agent_released_to_queue';
      return [{ type: 'ConversationReleasedToQueue', data: { ...fact(by, reason), agentId, queueId } }];
    }
    case 'TransferConversation': {
      const { agentId } = command.data;
      const by = command.data.by ?? agent(agentId);
      const onBehalf = by.kind === 'supervisor';
      if ('toQueueId' in command.data) {
        const { toQueueId } = command.data;
        if (toQueueId === queueId) throw invalidTransfer(state, `It is already in queue ${queueId}; name another queue`);
        return [
          {
            type: 'ConversationTransferredToQueue',
            data: {
              ...fact(by, onBehalf ? 'supervisor_transferred_to_queue' : 'agent_transferred_to_queue'),
              agentId,
              fromQueueId: queueId,
              toQueueId,
            },
          },
        ];
      }
      const { toAgentId } = command.data;
      if (toAgentId === agentId) throw invalidTransfer(state, `Agent ${agentId} already holds it; name another agent`);
      return [
        {
          type: 'ConversationTransferredToAgent',
          data: {
            ...fact(by, onBehalf ? 'supervisor_transferred_to_agent' : 'agent_transferred_to_agent'),
            fromAgentId: agentId,
            toAgentId,
          },
        },
      ];
    }
    case 'ResolveRecord': {
      const { agentId } = command.data;
      return [{ type: 'ConversationResolved', data: { ...fact(agent(agentId), 'agent_resolved_record'), agentId } }];
    }
    case 'ReviveConversation': {
      const { agentId } = command.data;
      return [{ type: 'ConversationRevivedByAgent', data: { ...fact(agent(agentId), 'agent_revived_from_my_work_items'), agentId } }];
    }
    case 'DisconnectAgent': {
      const { agentId } = command.data;
      return [{ type: 'AgentDisconnected', data: { ...fact(agent(agentId), 'agent_connection_lost'), agentId } }];
    }
    case 'ReconnectAgent': {
      const { agentId } = command.data;
      return [{ type: 'AgentReconnected', data: { ...fact(agent(agentId), 'agent_reconnected'), agentId } }];
    }
    case 'TimeOutAgentDisconnect': {
      assertDue(state, 'agent disconnect', asActive(state).agentDisconnectedAt, command.data.timeoutMs, command.metadata.now);
      const agentId = heldBy(state);
      return [
        {
          type: 'ConversationRequeuedAfterAgentDisconnect',
          data: {
            ...fact(system('agent-disconnect-timer'), 'agent_disconnect_timeout'),
            agentId,
            queueId,
            timeoutMs: command.data.timeoutMs,
          },
        },
      ];
    }
    case 'DisconnectCustomer':
      return [{ type: 'CustomerDisconnected', data: fact(customer(state.customerId), 'customer_connection_lost') }];
    case 'ReconnectCustomer':
      return [{ type: 'CustomerReconnected', data: fact(customer(state.customerId), 'customer_reconnected') }];
    case 'TimeOutCustomerDisconnect':
      assertDue(state, 'customer disconnect', state.customerDisconnectedAt, command.data.timeoutMs, command.metadata.now);
      return customerLeaves(state, fact(system('customer-disconnect-timer'), 'customer_disconnect_timeout'));
    case 'RecordMessage': {
      if (command.data.from === 'agent') {
        const { agentId } = command.data;
        return [{ type: 'AgentMessageSent', data: { ...fact(agent(agentId), 'agent_wrote'), agentId } }];
      }
      const received: ConversationEvent = { type: 'CustomerMessageReceived', data: fact(customer(state.customerId), 'customer_wrote') };
      const withinReviveWindow =
        state.status === 'waiting' && millisBetween(state.statusSince, command.metadata.now) <= policy.customerReviveWindowMs;
      if (!withinReviveWindow) return [received];
      return [
        received,
        {
          type: 'ConversationRevivedByCustomer',
          data: { ...fact(customer(state.customerId), 'customer_wrote_within_revive_window'), previousAgentId: heldBy(state), queueId },
        },
      ];
    }
    case 'StartConsult': {
      const { agentId, consultantId } = command.data;
      const active = asActive(state);
      if (consultantId === agentId || active.consultants.includes(consultantId)) {
        throw new ConversationError(
          'CONVERSATION.CONSULT_CONFLICT',
          `Agent ${consultantId} is already in this conversation; consult someone else`,
          state.id,
          state.status,
          allowedActions(state),
          { consultantId },
        );
      }
      return [{ type: 'ConsultStarted', data: { ...fact(agent(agentId), 'agent_started_consult'), agentId, consultantId } }];
    }
    case 'EndConsult': {
      const { consultantId } = command.data;
      if (!asActive(state).consultants.includes(consultantId)) {
        throw new ConversationError(
          'CONVERSATION.CONSULT_CONFLICT',
          `Agent ${consultantId} is not consulting on this conversation; consultants now: ${asActive(state).consultants.join(', ')}`,
          state.id,
          state.status,
          allowedActions(state),
          { consultantId },
        );
      }
      const by = command.data.by ?? agent(consultantId);
      return [
        {
          type: 'ConsultEnded',
          data: { ...fact(by, by.kind === 'supervisor' ? 'supervisor_ended_consult' : 'consultant_left'), consultantId },
        },
      ];
    }
    case 'StartMonitoring': {
      const { supervisorId } = command.data;
      return [{ type: 'MonitoringStarted', data: { ...fact(supervisor(supervisorId), 'supervisor_started_monitoring'), supervisorId } }];
    }
    case 'ForceClose': {
      const { supervisorId, reason } = command.data;
      return [{ type: 'ConversationForceClosed', data: { ...fact(supervisor(supervisorId), reason), supervisorId } }];
    }
    case 'AutoClose': {
      const { afterMs, forStatus } = command.data;
      if (forStatus !== undefined && forStatus !== state.status) {
        throw new ConversationError(
          'CONVERSATION.TIMER_NOT_DUE',
          `The auto-close was scheduled for a ${forStatus} conversation, but it is ${state.status} now`,
          state.id,
          state.status,
          allowedActions(state),
          { timer: 'auto-close', forStatus },
        );
      }
      assertDue(state, 'auto-close', state.autoCloseClockSince, afterMs, command.metadata.now);
      const by = system('auto-close');
      const reason = `auto_close_after_${state.status}_${afterMs}ms`;
      // Voice is never closed while a call may be live: the policy only moves it to wrap-up.
      if (state.status === 'active' && state.channel === 'voice' && state.assignment === 'accepted') {
        return [{ type: 'ConversationAutoMovedToWrapUp', data: { ...fact(by, reason), agentId: state.agentId, afterMs } }];
      }
      return [{ type: 'ConversationAutoClosed', data: { ...fact(by, reason), fromStatus: state.status, afterMs } }];
    }
    case 'CloseForInactivity': {
      const { timeoutMs } = command.data;
      assertDue(state, 'inactivity', state.lastActivityAt, timeoutMs, command.metadata.now);
      return [
        { type: 'ConversationClosedForInactivity', data: { ...fact(system('inactivity-timer'), 'no_activity_while_waiting'), timeoutMs } },
      ];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
};

/**
 * A live-chat customer leaves (End pressed, or disconnect timeout): before anyone accepted it
 * the conversation is abandoned and closed; once worked, it goes to the agent's wrap-up.
 */
const customerLeaves = (state: ExistingConversationState, fact: ConversationFact): ConversationEvent[] => {
  if (state.status === 'open') return [{ type: 'ConversationAbandonedByCustomer', data: { ...fact } }];
  const active = asActive(state);
  if (active.assignment === 'awaiting_acceptance') {
    return [{ type: 'ConversationAbandonedByCustomer', data: { ...fact, agentId: active.agentId } }];
  }
  return [{ type: 'ConversationEndedByCustomer', data: { ...fact, agentId: active.agentId } }];
};

/**
 * A timer's command is refused unless its condition has lasted its full duration as of `now`:
 * a late or repeated timer from a condition that was cleared or restarted changes nothing.
 */
const assertDue = (state: ExistingConversationState, timer: string, since: IsoTime | undefined, durationMs: number, now: IsoTime): void => {
  const validDuration = Number.isFinite(durationMs) && durationMs >= 0;
  if (validDuration && since !== undefined && millisBetween(since, now) >= durationMs) return;
  const dueTime = since === undefined || !validDuration ? NaN : Date.parse(since) + durationMs;
  const dueAt = Number.isFinite(dueTime) && Math.abs(dueTime) <= 8.64e15 ? new Date(dueTime).toISOString() : undefined;
  const message = !validDuration
    ? `The ${timer} timer carries an invalid duration (${durationMs} ms)`
    : dueAt === undefined
      ? `The ${timer} timer has no running condition to expire`
      : `The ${timer} timer is not due until ${dueAt} (its condition began at ${since})`;
  throw new ConversationError('CONVERSATION.TIMER_NOT_DUE', message, state.id, state.status, allowedActions(state), { timer, dueAt });
};

const invalidTransfer = (state: ExistingConversationState, message: string) =>
  new ConversationError('CONVERSATION.INVALID_TRANSFER', message, state.id, state.status, allowedActions(state));
