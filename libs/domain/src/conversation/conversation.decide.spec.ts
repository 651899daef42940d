/**
 * The conversation decider as executable documentation: given events, when a command, then
 * events (or a refusal). One describe per state, one case per row of docs/architecture.md's
 * "Conversation states and transitions" table, then the sub-conditions inside `active`, the other
 * behaviours, timers (which fire only once due), identity checks and the systematic matrix of
 * forbidden combinations.
 */
import { agent, customer, supervisor, system } from '../shared/actor';
import { actionOf, allowedActions, type ConversationAction } from './conversation.actions';
import { ASYNC_CHANNELS, CHANNELS, type Channel } from './conversation.channel';
import type { ConversationCommand } from './conversation.commands';
import { decide } from './conversation.decide';
import { ConversationError } from './conversation.errors';
import type { ConversationEvent } from './conversation.events';
import type { ConversationPolicy } from './conversation.policy';
import { evolveAll, type ConversationState } from './conversation.state';
import {
  AGENT,
  AGENT_DISCONNECT_MS,
  CONSULTANT,
  CONVERSATION,
  CUSTOMER,
  CUSTOMER_DISCONNECT_MS,
  MINUTE,
  OTHER_AGENT,
  OTHER_QUEUE,
  PUSH_RESERVATION_MS,
  QUEUE,
  ROUTING,
  SUPERVISOR,
  TIMER_CLOCK,
  accept,
  agentDisconnected,
  agentMessage,
  agentReconnected,
  agentWrote,
  assign,
  at,
  autoClose,
  closeForInactivity,
  closeSession,
  consultStarted,
  customerDisconnected,
  customerMessage,
  customerReconnected,
  customerWrote,
  disconnectAgent,
  disconnectCustomer,
  due,
  endByAgent,
  endByCustomer,
  endConsult,
  endedByAgent,
  endedByCustomer,
  event,
  expirePushReservation,
  forceAssign,
  forceAssigned,
  forceClose,
  forceClosed,
  given,
  isTimerAction,
  justBefore,
  minuteOf,
  monitor,
  monitoringStarted,
  notDue,
  open,
  opened,
  parked,
  pick,
  picked,
  pushAccepted,
  pushRejected,
  pushed,
  reconnectAgent,
  reconnectCustomer,
  refusalOf,
  reject,
  release,
  released,
  resolve,
  revive,
  revivedByAgent,
  startConsult,
  timeOutAgentDisconnect,
  timeOutCustomerDisconnect,
  transferToAgent,
  transferToQueue,
  transferredToAgent,
  type TimerAction,
} from './testing/given-when-then';

const ALL: readonly Channel[] = CHANNELS;
const ALL_BUT_RECORD: readonly Channel[] = CHANNELS.filter((c) => c !== 'record');
const ASYNC: readonly Channel[] = ASYNC_CHANNELS;
const LIVE_CHAT: readonly Channel[] = ['live_chat'];
const NOT_LIVE_CHAT: readonly Channel[] = CHANNELS.filter((c) => c !== 'live_chat');
const NOT_ASYNC: readonly Channel[] = CHANNELS.filter((c) => !ASYNC_CHANNELS.includes(c));

const SUPERVISOR_ACTOR = supervisor(SUPERVISOR);

// ---------------------------------------------------------------------------------------------
// Situations: one representative history per status / sub-condition, with the channels where
// it can happen, and the actions docs/architecture.md's transitions table allows there (written out independently of
// conversation.actions.ts, so the permission table is checked against the documented table, not itself).
// ---------------------------------------------------------------------------------------------

type Situation = {
  name: string;
  channels: readonly Channel[];
  history: (channel: Channel) => ConversationEvent[];
  expectedAllowed: (channel: Channel) => ConversationAction[];
};

const isLive = (c: Channel) => c === 'live_chat';
const isAsync = (c: Channel) => ASYNC_CHANNELS.includes(c);
const ALWAYS: ConversationAction[] = ['monitor', 'force-close', 'auto-close'];
const liveChatCustomer = (c: Channel, connected: boolean): ConversationAction[] =>
  !isLive(c)
    ? []
    : [
        'end-by-customer',
        ...(connected ? ['customer-disconnect' as const] : ['customer-reconnect' as const, 'time-out-customer-disconnect' as const]),
      ];
const inOpen = (c: Channel, customerConnected = true): ConversationAction[] => [
  'pick',
  'assign',
  'customer-message',
  ...liveChatCustomer(c, customerConnected),
  ...ALWAYS,
];
const inAwaitingAcceptance = (c: Channel, customerConnected = true): ConversationAction[] => [
  'accept',
  'reject',
  'expire-push-reservation',
  'customer-message',
  ...liveChatCustomer(c, customerConnected),
  ...ALWAYS,
];
const inWorked = (c: Channel, { customerConnected = true, consulting = false } = {}): ConversationAction[] => [
  'release',
  'transfer',
  'consult',
  'customer-message',
  'agent-message',
  ...(c !== 'record' ? ['end-by-agent' as const, 'agent-disconnect' as const] : []),
  ...(isLive(c) || isAsync(c) ? ['close-session' as const] : []),
  ...(c === 'record' ? ['resolve' as const] : []),
  ...(consulting ? ['consult-end' as const] : []),
  ...liveChatCustomer(c, customerConnected),
  ...ALWAYS,
];
const inAgentDisconnected = (c: Channel, { consulting = false } = {}): ConversationAction[] => [
  'agent-reconnect',
  'time-out-agent-disconnect',
  'customer-message',
  ...(consulting ? ['consult-end' as const] : []),
  ...liveChatCustomer(c, true),
  ...ALWAYS,
];

const SITUATIONS: Situation[] = [
  {
    name: 'open',
    channels: ALL,
    history: (c) => [opened(c)],
    expectedAllowed: (c) => inOpen(c),
  },
  {
    name: 'open, live-chat customer disconnected',
    channels: LIVE_CHAT,
    history: (c) => [opened(c), customerDisconnected(1)],
    expectedAllowed: (c) => inOpen(c, false),
  },
  {
    name: 'active, push awaiting acceptance',
    channels: ALL,
    history: (c) => [opened(c), pushed(AGENT, 1)],
    expectedAllowed: (c) => inAwaitingAcceptance(c),
  },
  {
    name: 'active, push awaiting acceptance, live-chat customer disconnected',
    channels: LIVE_CHAT,
    history: (c) => [opened(c), pushed(AGENT, 1), customerDisconnected(2)],
    expectedAllowed: (c) => inAwaitingAcceptance(c, false),
  },
  {
    name: 'active, picked',
    channels: ALL,
    history: (c) => [opened(c), picked(AGENT, 1)],
    expectedAllowed: (c) => inWorked(c),
  },
  {
    name: 'active, push accepted',
    channels: ALL,
    history: (c) => [opened(c), pushed(AGENT, 1), pushAccepted(AGENT, 2)],
    expectedAllowed: (c) => inWorked(c),
  },
  {
    name: 'active, force-assigned',
    channels: ALL,
    history: (c) => [opened(c), forceAssigned(AGENT, 1, SUPERVISOR_ACTOR)],
    expectedAllowed: (c) => inWorked(c),
  },
  {
    name: 'active, with a consultant',
    channels: ALL,
    history: (c) => [opened(c), picked(AGENT, 1), consultStarted(AGENT, CONSULTANT, 2)],
    expectedAllowed: (c) => inWorked(c, { consulting: true }),
  },
  {
    name: 'active, agent disconnected',
    channels: ALL_BUT_RECORD,
    history: (c) => [opened(c), picked(AGENT, 1), agentDisconnected(AGENT, 2)],
    expectedAllowed: (c) => inAgentDisconnected(c),
  },
  {
    name: 'active, agent disconnected, with a consultant',
    channels: ALL_BUT_RECORD,
    history: (c) => [opened(c), picked(AGENT, 1), consultStarted(AGENT, CONSULTANT, 2), agentDisconnected(AGENT, 3)],
    expectedAllowed: (c) => inAgentDisconnected(c, { consulting: true }),
  },
  {
    name: 'active, live-chat customer disconnected',
    channels: LIVE_CHAT,
    history: (c) => [opened(c), picked(AGENT, 1), customerDisconnected(2)],
    expectedAllowed: (c) => inWorked(c, { customerConnected: false }),
  },
  {
    name: 'waiting',
    channels: ASYNC,
    history: (c) => [opened(c), picked(AGENT, 1), parked(AGENT, 2)],
    expectedAllowed: () => ['revive', 'close-for-inactivity', 'customer-message', 'agent-message', ...ALWAYS],
  },
  {
    name: 'wrap_up',
    channels: ALL_BUT_RECORD,
    history: (c) => [opened(c), picked(AGENT, 1), endedByAgent(AGENT, 2)],
    expectedAllowed: () => ['close-session', ...ALWAYS],
  },
  {
    name: 'closed',
    channels: ALL,
    history: (c) => [opened(c), forceClosed(1)],
    expectedAllowed: () => [],
  },
];

const situation = (name: string): Situation => {
  const found = SITUATIONS.find((s) => s.name === name);
  if (!found) throw new Error(`No situation ${name}`);
  return found;
};

/** (situation, channel) pairs, for it.each. */
const casesOf = (situations: Situation[]) =>
  situations.flatMap((s) => s.channels.map((channel) => ({ situation: s.name, channel, history: s.history(channel) })));

const holderOf = (state: ConversationState): string =>
  state.status === 'active' || state.status === 'waiting' || state.status === 'wrap_up' ? state.agentId : AGENT;
const consultantsOf = (state: ConversationState): string[] => (state.status === 'active' ? state.consultants : []);
const channelOf = (state: ConversationState): Channel => (state.status === 'none' ? 'live_chat' : state.channel);

/**
 * Durations of the representative timer commands: every situation's history ends by minute 3,
 * so at NOW (minute 10) each of these timers is due wherever its action is allowed.
 */
const TIMER_MS: Record<TimerAction, number> = {
  'expire-push-reservation': PUSH_RESERVATION_MS,
  'time-out-agent-disconnect': AGENT_DISCONNECT_MS,
  'time-out-customer-disconnect': CUSTOMER_DISCONNECT_MS,
  'auto-close': 5 * MINUTE,
  'close-for-inactivity': 5 * MINUTE,
};
/** A timer command of any kind, with its duration and time. */
const TIMER_COMMAND: Record<TimerAction, (durationMs: number, minute: number) => ConversationCommand> = {
  'expire-push-reservation': (ms, m) => expirePushReservation(m, ms),
  'time-out-agent-disconnect': (ms, m) => timeOutAgentDisconnect(m, ms),
  'time-out-customer-disconnect': (ms, m) => timeOutCustomerDisconnect(m, ms),
  'auto-close': (ms, m) => autoClose(ms, m),
  'close-for-inactivity': (ms, m) => closeForInactivity(ms, m),
};

/**
 * One representative, well-formed command per action. Agent actions name the agent who holds the
 * conversation, so a refusal is about the transition and never about identity; timer commands
 * are due at NOW in every situation (see TIMER_MS).
 */
const COMMAND_FOR: Record<ConversationAction, (state: ConversationState, minute: number) => ConversationCommand> = {
  open: (s, m) => open(channelOf(s), m),
  pick: (_, m) => pick(AGENT, m),
  assign: (_, m) => assign(AGENT, m),
  accept: (s, m) => accept(holderOf(s), m),
  reject: (s, m) => reject(holderOf(s), m),
  'expire-push-reservation': (_, m) => TIMER_COMMAND['expire-push-reservation'](TIMER_MS['expire-push-reservation'], m),
  'end-by-agent': (s, m) => endByAgent(holderOf(s), m),
  'end-by-customer': (_, m) => endByCustomer(m),
  'close-session': (s, m) => closeSession(holderOf(s), m),
  release: (s, m) => release(holderOf(s), m),
  transfer: (s, m) => transferToQueue(holderOf(s), OTHER_QUEUE, m),
  resolve: (s, m) => resolve(holderOf(s), m),
  revive: (s, m) => revive(holderOf(s), m),
  'agent-disconnect': (s, m) => disconnectAgent(holderOf(s), m),
  'agent-reconnect': (s, m) => reconnectAgent(holderOf(s), m),
  'time-out-agent-disconnect': (_, m) => TIMER_COMMAND['time-out-agent-disconnect'](TIMER_MS['time-out-agent-disconnect'], m),
  'customer-disconnect': (_, m) => disconnectCustomer(m),
  'customer-reconnect': (_, m) => reconnectCustomer(m),
  'time-out-customer-disconnect': (_, m) => TIMER_COMMAND['time-out-customer-disconnect'](TIMER_MS['time-out-customer-disconnect'], m),
  'customer-message': (_, m) => customerMessage(m),
  'agent-message': (s, m) => agentMessage(holderOf(s), m),
  consult: (s, m) => startConsult(holderOf(s), consultantsOf(s).includes(CONSULTANT) ? 'agent-d' : CONSULTANT, m),
  'consult-end': (s, m) => endConsult(consultantsOf(s)[0] ?? CONSULTANT, m),
  monitor: (_, m) => monitor(SUPERVISOR, m),
  'force-close': (_, m) => forceClose(SUPERVISOR, 'supervisor_closed', m),
  'auto-close': (_, m) => TIMER_COMMAND['auto-close'](TIMER_MS['auto-close'], m),
  'close-for-inactivity': (_, m) => TIMER_COMMAND['close-for-inactivity'](TIMER_MS['close-for-inactivity'], m),
};
const ACTIONS = Object.keys(COMMAND_FOR) as ConversationAction[];
const NOW = 10;

const sorted = (actions: readonly ConversationAction[]) => [...actions].sort();

// =============================================================================================
// Transitions, one case per row of docs/architecture.md's transitions table
// =============================================================================================

describe('conversation decider: transitions (docs/architecture.md "Conversation states and transitions")', () => {
  describe('not yet opened', () => {
    it.each(ALL)('(none) -> open: the customer starts a conversation (%s)', (channel) => {
      const state = given()
        .when(open(channel, 0))
        .then([
          event('ConversationOpened', 0, customer(CUSTOMER), 'customer_started', {
            channel,
            queueId: QUEUE,
            customerId: CUSTOMER,
            priority: 0,
          }),
        ]);
      expect(state).toMatchObject({
        status: 'open',
        id: CONVERSATION,
        channel,
        queueId: QUEUE,
        customerId: CUSTOMER,
        openedAt: at(0),
        customerConnected: true,
        unreadCustomerMessages: 0,
        supervisors: [],
      });
    });

    it.each(ACTIONS.filter((a) => a !== 'open'))('every other command is refused with NOT_FOUND: %s', (action) => {
      const command = COMMAND_FOR[action]({ status: 'none' }, 1);
      const error = given()
        .when(command)
        .thenThrows('CONVERSATION.NOT_FOUND', { status: 'none', allowedActions: ['open'] });
      expect(error.conversationId).toBeUndefined();
    });
  });

  describe('open', () => {
    it.each(ALL)("open -> active: agent picks it from the queue's open items (%s)", (channel) => {
      const state = given(opened(channel))
        .when(pick(AGENT, 1))
        .then([event('ConversationPicked', 1, agent(AGENT), 'agent_picked_from_queue', { agentId: AGENT, queueId: QUEUE })]);
      expect(state).toMatchObject({
        status: 'active',
        agentId: AGENT,
        lastAgentId: AGENT,
        assignment: 'accepted',
        forced: false,
        agentConnected: true,
        consultants: [],
        statusSince: at(1),
      });
    });

    it.each(ALL)('open -> active: routing pushes (assigns) it to an agent (%s)', (channel) => {
      const state = given(opened(channel))
        .when(assign(AGENT, 1))
        .then([event('ConversationPushedToAgent', 1, ROUTING, 'routed_to_agent', { agentId: AGENT, queueId: QUEUE })]);
      expect(state).toMatchObject({ status: 'active', agentId: AGENT, assignment: 'awaiting_acceptance', forced: false });
    });

    it('open -> active: a supervisor may offer it too (a push the agent accepts), named as the actor (voice)', () => {
      given(opened('voice'))
        .when(assign(AGENT, 1, SUPERVISOR_ACTOR))
        .then([event('ConversationPushedToAgent', 1, SUPERVISOR_ACTOR, 'supervisor_offered_to_agent', { agentId: AGENT, queueId: QUEUE })]);
    });

    describe('open -> closed: customer disconnects or ends before it was assigned (live_chat)', () => {
      it('the customer presses End in the chat widget', () => {
        const state = given(opened('live_chat'))
          .when(endByCustomer(1))
          .then([event('ConversationAbandonedByCustomer', 1, customer(CUSTOMER), 'customer_ended', {})]);
        expect(state).toMatchObject({ status: 'closed', closedAt: at(1), closedBy: customer(CUSTOMER), closeReason: 'customer_ended' });
      });

      it('the customer disconnects and does not reconnect in time', () => {
        const state = given(opened('live_chat'), customerDisconnected(1))
          .when(timeOutCustomerDisconnect(4))
          .then([event('ConversationAbandonedByCustomer', 4, system('customer-disconnect-timer'), 'customer_disconnect_timeout', {})]);
        expect(state).toMatchObject({ status: 'closed', closeReason: 'customer_disconnect_timeout' });
        expect(state).not.toHaveProperty('agentId');
      });
    });
  });

  describe('active', () => {
    it.each(ALL_BUT_RECORD)('active -> wrap_up: agent ends it (End button) (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1))
        .when(endByAgent(AGENT, 5))
        .then([event('ConversationEndedByAgent', 5, agent(AGENT), 'agent_pressed_end', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'wrap_up', agentId: AGENT, statusSince: at(5) });
    });

    it('active -> wrap_up: customer ends it from the chat widget (live_chat)', () => {
      const state = given(opened('live_chat'), picked(AGENT, 1))
        .when(endByCustomer(5))
        .then([event('ConversationEndedByCustomer', 5, customer(CUSTOMER), 'customer_ended', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'wrap_up', agentId: AGENT });
    });

    it('active -> wrap_up: live-chat customer disconnected (and did not reconnect in time) (live_chat)', () => {
      const state = given(opened('live_chat'), picked(AGENT, 1), customerDisconnected(2))
        .when(timeOutCustomerDisconnect(5))
        .then([
          event('ConversationEndedByCustomer', 5, system('customer-disconnect-timer'), 'customer_disconnect_timeout', { agentId: AGENT }),
        ]);
      expect(state).toMatchObject({ status: 'wrap_up', agentId: AGENT });
    });

    it.each(ALL_BUT_RECORD)('active -> open: agent disconnected and did not reconnect within the timeout (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1), agentDisconnected(AGENT, 2))
        .when(timeOutAgentDisconnect(3, 60_000))
        .then([
          event('ConversationRequeuedAfterAgentDisconnect', 3, system('agent-disconnect-timer'), 'agent_disconnect_timeout', {
            agentId: AGENT,
            queueId: QUEUE,
            timeoutMs: 60_000,
          }),
        ]);
      expect(state).toMatchObject({ status: 'open', queueId: QUEUE, lastAgentId: AGENT });
      expect(state).not.toHaveProperty('agentId');
    });

    it.each(ALL)('active -> open: agent releases it to the queue (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1))
        .when(release(AGENT, 4))
        .then([event('ConversationReleasedToQueue', 4, agent(AGENT), 'agent_released_to_queue', { agentId: AGENT, queueId: QUEUE })]);
      expect(state).toMatchObject({ status: 'open', queueId: QUEUE, statusSince: at(4) });
      expect(state).not.toHaveProperty('agentId');
    });

    it.each(ALL)('active -> open: agent transfers it to another queue (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1))
        .when(transferToQueue(AGENT, OTHER_QUEUE, 4))
        .then([
          event('ConversationTransferredToQueue', 4, agent(AGENT), 'agent_transferred_to_queue', {
            agentId: AGENT,
            fromQueueId: QUEUE,
            toQueueId: OTHER_QUEUE,
          }),
        ]);
      expect(state).toMatchObject({ status: 'open', queueId: OTHER_QUEUE, autoCloseClockSince: at(4) });
      expect(state).not.toHaveProperty('agentId');
    });

    it('active -> open: agent closes the session while active (live_chat only)', () => {
      const state = given(opened('live_chat'), picked(AGENT, 1))
        .when(closeSession(AGENT, 4))
        .then([
          event('ConversationRequeuedOnSessionClose', 4, agent(AGENT), 'agent_closed_active_live_chat_session', {
            agentId: AGENT,
            queueId: QUEUE,
          }),
        ]);
      expect(state).toMatchObject({ status: 'open', queueId: QUEUE });
    });

    it.each(ASYNC)('active -> waiting: agent closes the session (X) without ending it (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1))
        .when(closeSession(AGENT, 4))
        .then([event('ConversationParked', 4, agent(AGENT), 'agent_closed_session_without_ending', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'waiting', agentId: AGENT, statusSince: at(4), lastActivityAt: at(4) });
    });

    it('active -> closed: agent resolves the record and closes the session (record)', () => {
      const state = given(opened('record'), picked(AGENT, 1))
        .when(resolve(AGENT, 30))
        .then([event('ConversationResolved', 30, agent(AGENT), 'agent_resolved_record', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'closed', closedAt: at(30), closedBy: agent(AGENT), closeReason: 'agent_resolved_record' });
      expect(state).not.toHaveProperty('agentId');
    });

    it('active -> closed: customer leaves before the agent accepted the push (live_chat)', () => {
      const state = given(opened('live_chat'), pushed(AGENT, 1))
        .when(endByCustomer(2))
        .then([event('ConversationAbandonedByCustomer', 2, customer(CUSTOMER), 'customer_ended', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'closed', closedBy: customer(CUSTOMER) });
    });
  });

  describe('wrap_up', () => {
    // Record never reaches wrap_up (End is refused for it and resolve closes it directly),
    // so "all" means every channel that can be in wrap_up.
    it.each(ALL_BUT_RECORD)('wrap_up -> closed: agent closes the session after wrap-up (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1), endedByAgent(AGENT, 5))
        .when(closeSession(AGENT, 8))
        .then([event('ConversationWrapUpCompleted', 8, agent(AGENT), 'agent_closed_session_after_wrap_up', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'closed', closedAt: at(8), closedBy: agent(AGENT) });
    });

    it('wrap_up -> closed: also after the customer ended it (live_chat)', () => {
      given(opened('live_chat'), picked(AGENT, 1), endedByCustomer(AGENT, 5))
        .when(closeSession(AGENT, 8))
        .then([event('ConversationWrapUpCompleted', 8, agent(AGENT), 'agent_closed_session_after_wrap_up', { agentId: AGENT })]);
    });
  });

  describe('waiting', () => {
    const waiting = (channel: Channel) => [opened(channel), picked(AGENT, 1), parked(AGENT, 2)];

    it.each(ASYNC)('waiting -> closed: no activity from either side within the inactivity timeout (%s)', (channel) => {
      const state = given(...waiting(channel))
        .when(closeForInactivity(3 * 24 * 60 * MINUTE, 3 * 24 * 60 + 2))
        .then([
          event('ConversationClosedForInactivity', 3 * 24 * 60 + 2, system('inactivity-timer'), 'no_activity_while_waiting', {
            timeoutMs: 3 * 24 * 60 * MINUTE,
          }),
        ]);
      expect(state).toMatchObject({ status: 'closed', closedBy: system('inactivity-timer') });
      expect(state).not.toHaveProperty('agentId');
    });

    it.each(ASYNC)('waiting -> active: agent revives it from their own work items (%s)', (channel) => {
      const state = given(...waiting(channel))
        .when(revive(AGENT, 60))
        .then([event('ConversationRevivedByAgent', 60, agent(AGENT), 'agent_revived_from_my_work_items', { agentId: AGENT })]);
      expect(state).toMatchObject({
        status: 'active',
        agentId: AGENT,
        assignment: 'accepted',
        agentConnected: true,
        consultants: [],
        statusSince: at(60),
      });
    });

    it.each(ASYNC)('waiting -> open: customer writes again within the revive window (%s)', (channel) => {
      const state = given(...waiting(channel))
        .when(customerMessage(60))
        .then([
          event('CustomerMessageReceived', 60, customer(CUSTOMER), 'customer_wrote', {}),
          event('ConversationRevivedByCustomer', 60, customer(CUSTOMER), 'customer_wrote_within_revive_window', {
            previousAgentId: AGENT,
            queueId: QUEUE,
          }),
        ]);
      expect(state).toMatchObject({ status: 'open', queueId: QUEUE, lastAgentId: AGENT, unreadCustomerMessages: 1 });
      expect(state).not.toHaveProperty('agentId');
    });
  });

  describe('closed', () => {
    const CLOSINGS: { how: string; history: ConversationEvent[] }[] = [
      {
        how: 'abandoned by the customer (live_chat)',
        history: [opened('live_chat'), event('ConversationAbandonedByCustomer', 1, customer(CUSTOMER), 'customer_ended', {})],
      },
      {
        how: 'resolved (record)',
        history: [
          opened('record'),
          picked(AGENT, 1),
          event('ConversationResolved', 2, agent(AGENT), 'agent_resolved_record', { agentId: AGENT }),
        ],
      },
      {
        how: 'wrap-up completed (voice)',
        history: [
          opened('voice'),
          picked(AGENT, 1),
          endedByAgent(AGENT, 2),
          event('ConversationWrapUpCompleted', 3, agent(AGENT), 'agent_closed_session_after_wrap_up', { agentId: AGENT }),
        ],
      },
      {
        how: 'closed for inactivity (sms)',
        history: [
          opened('sms'),
          picked(AGENT, 1),
          parked(AGENT, 2),
          event('ConversationClosedForInactivity', 3, system('inactivity-timer'), 'no_activity_while_waiting', { timeoutMs: 1 }),
        ],
      },
      {
        how: 'auto-closed (persistent_chat)',
        history: [
          opened('persistent_chat'),
          event('ConversationAutoClosed', 3, system('auto-close'), 'auto_close_after_open_1ms', { fromStatus: 'open', afterMs: 1 }),
        ],
      },
      { how: 'force-closed (teams, from waiting)', history: [opened('teams'), picked(AGENT, 1), parked(AGENT, 2), forceClosed(3)] },
    ];

    it.each(CLOSINGS)('closed is terminal: every action is refused and none is allowed ($how)', ({ history }) => {
      const { state } = given(...history);
      expect(allowedActions(state)).toEqual([]);
      for (const action of ACTIONS) {
        const code = action === 'open' ? 'CONVERSATION.ALREADY_EXISTS' : 'CONVERSATION.TRANSITION_NOT_ALLOWED';
        given(...history)
          .when(COMMAND_FOR[action](state, NOW))
          .thenThrows(code, { status: 'closed', allowedActions: [] });
      }
    });
  });

  // "any but closed -> closed: auto-close after too long in one state; supervisor force close (per policy)"
  describe('any but closed -> closed', () => {
    const notClosed = casesOf(SITUATIONS.filter((s) => s.name !== 'closed'));

    it.each(notClosed)('any but closed -> closed: supervisor force close ($situation, $channel)', ({ history }) => {
      const state = given(...history)
        .when(forceClose(SUPERVISOR, 'customer_complaint', NOW))
        .then([event('ConversationForceClosed', NOW, SUPERVISOR_ACTOR, 'customer_complaint', { supervisorId: SUPERVISOR })]);
      expect(state).toMatchObject({ status: 'closed', closedBy: SUPERVISOR_ACTOR, closeReason: 'customer_complaint' });
      expect(state).not.toHaveProperty('agentId');
    });

    it.each(notClosed)(
      'any but closed -> closed: auto-close after too long in one state ($situation, $channel)',
      ({ history, channel }) => {
        const before = evolveAll(history);
        const afterMs = 30 * 24 * 60 * MINUTE;
        // Every situation's auto-close clock started by minute 3: 30 days after NOW it is overdue.
        const late = NOW + afterMs / MINUTE;
        const reason = `auto_close_after_${before.status}_${afterMs}ms`;
        if (before.status === 'active' && channel === 'voice' && before.assignment === 'accepted') {
          // Voice's active auto-close only moves it to wrap-up (docs/architecture.md, "Timers"), once the
          // call was taken (picked, accepted or forced), even if the agent is disconnected.
          const state = given(...history)
            .when(autoClose(afterMs, late))
            .then([event('ConversationAutoMovedToWrapUp', late, system('auto-close'), reason, { agentId: AGENT, afterMs })]);
          expect(state).toMatchObject({ status: 'wrap_up', agentId: AGENT });
        } else {
          const state = given(...history)
            .when(autoClose(afterMs, late))
            .then([event('ConversationAutoClosed', late, system('auto-close'), reason, { fromStatus: before.status, afterMs })]);
          expect(state).toMatchObject({ status: 'closed', closedBy: system('auto-close'), closeReason: reason });
        }
      },
    );
  });
});

// =============================================================================================
// Sub-conditions inside active
// =============================================================================================

describe('conversation decider: sub-conditions inside active', () => {
  describe("push awaiting the agent's acceptance", () => {
    it.each(ALL)('accept: stays active, now accepted (%s)', (channel) => {
      const state = given(opened(channel), pushed(AGENT, 1))
        .when(accept(AGENT, 2))
        .then([event('ConversationPushAccepted', 2, agent(AGENT), 'agent_accepted_push', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'active', agentId: AGENT, assignment: 'accepted', statusSince: at(1) });
    });

    it.each(ALL)('reject: back to open in its queue (%s)', (channel) => {
      const state = given(opened(channel), pushed(AGENT, 1))
        .when(reject(AGENT, 2))
        .then([event('ConversationPushRejected', 2, agent(AGENT), 'agent_rejected_push', { agentId: AGENT, queueId: QUEUE })]);
      expect(state).toMatchObject({ status: 'open', queueId: QUEUE });
      expect(state).not.toHaveProperty('agentId');
    });

    it("reject: the agent's own reason is recorded", () => {
      given(opened('sms'), pushed(AGENT, 1))
        .when(reject(AGENT, 2, 'going_on_break'))
        .then([event('ConversationPushRejected', 2, agent(AGENT), 'going_on_break', { agentId: AGENT, queueId: QUEUE })]);
    });

    it.each(ALL)('reservation timeout: back to open (%s)', (channel) => {
      const state = given(opened(channel), pushed(AGENT, 1))
        .when(expirePushReservation(3, 120_000))
        .then([
          event('ConversationPushReservationExpired', 3, system('push-reservation-timer'), 'push_reservation_timeout', {
            agentId: AGENT,
            queueId: QUEUE,
            timeoutMs: 120_000,
          }),
        ]);
      expect(state).toMatchObject({ status: 'open', queueId: QUEUE });
    });

    it('live-chat customer ends before acceptance: closed, abandoned, naming the reserved agent', () => {
      given(opened('live_chat'), pushed(AGENT, 1))
        .when(endByCustomer(2))
        .then([event('ConversationAbandonedByCustomer', 2, customer(CUSTOMER), 'customer_ended', { agentId: AGENT })]);
    });

    it.each(['end-by-agent', 'release', 'transfer', 'close-session', 'consult', 'agent-message', 'agent-disconnect'] as const)(
      "the agent's work actions wait for acceptance: %s is refused",
      (action) => {
        const history = [opened('live_chat'), pushed(AGENT, 1)];
        const { state } = given(...history);
        given(...history)
          .when(COMMAND_FOR[action](state, 2))
          .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', {
            status: 'active',
            allowedActions: [
              'accept',
              'reject',
              'expire-push-reservation',
              'end-by-customer',
              'customer-disconnect',
              'customer-message',
              'monitor',
              'force-close',
              'auto-close',
            ],
          });
      },
    );

    it('accepting twice is refused: the push is already accepted', () => {
      given(opened('sms'), pushed(AGENT, 1), pushAccepted(AGENT, 2))
        .when(accept(AGENT, 3))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });
  });

  describe('force assignment', () => {
    it.each(ALL)('a supervisor force-assigns: active and accepted at once, flagged as forced (%s)', (channel) => {
      const state = given(opened(channel))
        .when(forceAssign(AGENT, 1, SUPERVISOR_ACTOR))
        .then([
          event('ConversationForceAssigned', 1, SUPERVISOR_ACTOR, 'supervisor_forced_assignment', { agentId: AGENT, queueId: QUEUE }),
        ]);
      expect(state).toMatchObject({ status: 'active', agentId: AGENT, assignment: 'accepted', forced: true });
      expect(allowedActions(state)).not.toContain('accept');
      expect(allowedActions(state)).toContain('release');
    });

    it('no acceptance needed: the agent may end it right away (voice)', () => {
      given(opened('voice'), forceAssigned(AGENT, 1, SUPERVISOR_ACTOR))
        .when(endByAgent(AGENT, 2))
        .then([event('ConversationEndedByAgent', 2, agent(AGENT), 'agent_pressed_end', { agentId: AGENT })]);
    });
  });

  describe('agent disconnected', () => {
    it.each(ALL_BUT_RECORD)("the agent's connection drops: still active, agent disconnected (%s)", (channel) => {
      const state = given(opened(channel), picked(AGENT, 1))
        .when(disconnectAgent(AGENT, 2))
        .then([event('AgentDisconnected', 2, agent(AGENT), 'agent_connection_lost', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'active', agentId: AGENT, agentConnected: false, agentDisconnectedAt: at(2) });
    });

    it.each(ALL_BUT_RECORD)('reconnect: still active, connected again (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1), agentDisconnected(AGENT, 2))
        .when(reconnectAgent(AGENT, 3))
        .then([event('AgentReconnected', 3, agent(AGENT), 'agent_reconnected', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'active', agentId: AGENT, agentConnected: true });
      expect(allowedActions(state)).toContain('end-by-agent');
    });

    it('timeout: back to open (see the table row "agent disconnected ... -> open")', () => {
      given(opened('voice'), picked(AGENT, 1), agentDisconnected(AGENT, 2))
        .when(timeOutAgentDisconnect(4, 120_000))
        .then([
          event('ConversationRequeuedAfterAgentDisconnect', 4, system('agent-disconnect-timer'), 'agent_disconnect_timeout', {
            agentId: AGENT,
            queueId: QUEUE,
            timeoutMs: 120_000,
          }),
        ]);
    });

    const agentActions = ['end-by-agent', 'release', 'transfer', 'close-session', 'consult', 'agent-message', 'agent-disconnect'] as const;
    it.each(agentActions)("the agent's actions are refused while disconnected: %s (sms)", (action) => {
      const history = [opened('sms'), picked(AGENT, 1), agentDisconnected(AGENT, 2)];
      const { state } = given(...history);
      given(...history)
        .when(COMMAND_FOR[action](state, 3))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', {
          status: 'active',
          allowedActions: ['agent-reconnect', 'time-out-agent-disconnect', 'customer-message', 'monitor', 'force-close', 'auto-close'],
        });
    });

    it('a reconnect without a disconnect is refused', () => {
      given(opened('sms'), picked(AGENT, 1))
        .when(reconnectAgent(AGENT, 2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it('the live-chat customer may still end it while the agent is away: wrap_up', () => {
      given(opened('live_chat'), picked(AGENT, 1), agentDisconnected(AGENT, 2))
        .when(endByCustomer(3))
        .then([event('ConversationEndedByCustomer', 3, customer(CUSTOMER), 'customer_ended', { agentId: AGENT })]);
    });
  });

  describe('live-chat customer disconnected', () => {
    it("the customer's connection drops (open): still open, customer disconnected", () => {
      const state = given(opened('live_chat'))
        .when(disconnectCustomer(1))
        .then([event('CustomerDisconnected', 1, customer(CUSTOMER), 'customer_connection_lost', {})]);
      expect(state).toMatchObject({ status: 'open', customerConnected: false, customerDisconnectedAt: at(1) });
    });

    it("the customer's connection drops (active): still active, customer disconnected", () => {
      const state = given(opened('live_chat'), picked(AGENT, 1))
        .when(disconnectCustomer(2))
        .then([event('CustomerDisconnected', 2, customer(CUSTOMER), 'customer_connection_lost', {})]);
      expect(state).toMatchObject({ status: 'active', agentId: AGENT, customerConnected: false });
    });

    it.each([
      { where: 'open', history: [opened('live_chat'), customerDisconnected(1)] },
      { where: 'active', history: [opened('live_chat'), picked(AGENT, 1), customerDisconnected(2)] },
      { where: 'active, push awaiting acceptance', history: [opened('live_chat'), pushed(AGENT, 1), customerDisconnected(2)] },
    ])('reconnect: the status is unchanged and the customer is connected again ($where)', ({ history }) => {
      const before = evolveAll(history);
      const state = given(...history)
        .when(reconnectCustomer(3))
        .then([event('CustomerReconnected', 3, customer(CUSTOMER), 'customer_reconnected', {})]);
      expect(state.status).toBe(before.status);
      expect(state).toMatchObject({ customerConnected: true });
      expect(allowedActions(state)).toContain('customer-disconnect');
    });

    it('timeout while open: closed (abandoned)', () => {
      given(opened('live_chat'), customerDisconnected(1))
        .when(timeOutCustomerDisconnect(4, 180_000))
        .then([event('ConversationAbandonedByCustomer', 4, system('customer-disconnect-timer'), 'customer_disconnect_timeout', {})]);
    });

    it('timeout while active and accepted: wrap_up (ended by the customer)', () => {
      const state = given(opened('live_chat'), pushed(AGENT, 1), pushAccepted(AGENT, 2), customerDisconnected(3))
        .when(timeOutCustomerDisconnect(6, 180_000))
        .then([
          event('ConversationEndedByCustomer', 6, system('customer-disconnect-timer'), 'customer_disconnect_timeout', { agentId: AGENT }),
        ]);
      expect(state).toMatchObject({ status: 'wrap_up', agentId: AGENT });
    });

    it('timeout while a push awaits acceptance: closed (abandoned), naming the reserved agent', () => {
      const state = given(opened('live_chat'), pushed(AGENT, 1), customerDisconnected(2))
        .when(timeOutCustomerDisconnect(5, 180_000))
        .then([
          event('ConversationAbandonedByCustomer', 5, system('customer-disconnect-timer'), 'customer_disconnect_timeout', {
            agentId: AGENT,
          }),
        ]);
      expect(state).toMatchObject({ status: 'closed' });
    });

    it('a timeout after the customer reconnected is refused', () => {
      given(opened('live_chat'), picked(AGENT, 1), customerDisconnected(2), customerReconnected(3))
        .when(timeOutCustomerDisconnect(6))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it('a second disconnect while disconnected is refused', () => {
      given(opened('live_chat'), customerDisconnected(1))
        .when(disconnectCustomer(2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'open' });
    });
  });
});

// =============================================================================================
// Other behaviours
// =============================================================================================

describe('conversation decider: other behaviours', () => {
  describe('transfer', () => {
    it('to its own queue is refused with INVALID_TRANSFER', () => {
      given(opened('sms'), picked(AGENT, 1))
        .when(transferToQueue(AGENT, QUEUE, 2))
        .thenThrows('CONVERSATION.INVALID_TRANSFER', { status: 'active' });
    });

    it('to a queue it was transferred to earlier uses the current queue as the origin', () => {
      given(
        opened('sms'),
        picked(AGENT, 1),
        event('ConversationTransferredToQueue', 2, agent(AGENT), 'agent_transferred_to_queue', {
          agentId: AGENT,
          fromQueueId: QUEUE,
          toQueueId: OTHER_QUEUE,
        }),
        picked(OTHER_AGENT, 3, OTHER_QUEUE),
      )
        .when(transferToQueue(OTHER_AGENT, QUEUE, 4))
        .then([
          event('ConversationTransferredToQueue', 4, agent(OTHER_AGENT), 'agent_transferred_to_queue', {
            agentId: OTHER_AGENT,
            fromQueueId: OTHER_QUEUE,
            toQueueId: QUEUE,
          }),
        ]);
    });

    it.each(ALL)('to another agent: stays active under the new agent (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1))
        .when(transferToAgent(AGENT, OTHER_AGENT, 3))
        .then([
          event('ConversationTransferredToAgent', 3, agent(AGENT), 'agent_transferred_to_agent', {
            fromAgentId: AGENT,
            toAgentId: OTHER_AGENT,
          }),
        ]);
      expect(state).toMatchObject({
        status: 'active',
        agentId: OTHER_AGENT,
        lastAgentId: OTHER_AGENT,
        assignment: 'accepted',
        agentConnected: true,
        statusSince: at(1),
        autoCloseClockSince: at(3),
      });
    });

    it('to another agent: the new agent works it, the previous one no longer may', () => {
      const history = [
        opened('persistent_chat'),
        picked(AGENT, 1),
        event('ConversationTransferredToAgent', 3, agent(AGENT), 'agent_transferred_to_agent', {
          fromAgentId: AGENT,
          toAgentId: OTHER_AGENT,
        }),
      ];
      given(...history)
        .when(endByAgent(OTHER_AGENT, 4))
        .then([event('ConversationEndedByAgent', 4, agent(OTHER_AGENT), 'agent_pressed_end', { agentId: OTHER_AGENT })]);
      given(...history)
        .when(endByAgent(AGENT, 4))
        .thenThrows('CONVERSATION.NOT_HELD_BY_AGENT', { details: { agentId: AGENT } });
    });

    it('to the agent who already holds it is refused with INVALID_TRANSFER', () => {
      given(opened('sms'), picked(AGENT, 1))
        .when(transferToAgent(AGENT, AGENT, 2))
        .thenThrows('CONVERSATION.INVALID_TRANSFER', { status: 'active' });
    });

    // Once a bug: the consultant who was handed the conversation stayed in `consultants`, so the
    // holder was listed as its own consultant (which StartConsult refuses with CONSULT_CONFLICT).
    it('to the agent who is consulting: the new holder is no longer listed as a consultant', () => {
      const state = given(opened('sms'), picked(AGENT, 1), consultStarted(AGENT, CONSULTANT, 2), consultStarted(AGENT, 'agent-d', 3))
        .when(transferToAgent(AGENT, CONSULTANT, 4))
        .then([
          event('ConversationTransferredToAgent', 4, agent(AGENT), 'agent_transferred_to_agent', {
            fromAgentId: AGENT,
            toAgentId: CONSULTANT,
          }),
        ]);
      expect(state).toMatchObject({ status: 'active', agentId: CONSULTANT, lastAgentId: CONSULTANT, consultants: ['agent-d'] });
      // With the only consultant now holding it, nobody is consulting: consult-end is no longer possible.
      const sole = [opened('sms'), picked(AGENT, 1), consultStarted(AGENT, CONSULTANT, 2), transferredToAgent(AGENT, CONSULTANT, 4)];
      expect(given(...sole).state).toMatchObject({ agentId: CONSULTANT, consultants: [] });
      given(...sole)
        .when(endConsult(CONSULTANT, 5))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it('to another agent: a forced assignment is not forced for the new holder', () => {
      const state = given(
        opened('voice'),
        forceAssigned(AGENT, 1, SUPERVISOR_ACTOR),
        agentDisconnected(AGENT, 2),
        agentReconnected(AGENT, 3),
      )
        .when(transferToAgent(AGENT, OTHER_AGENT, 4))
        .then([
          event('ConversationTransferredToAgent', 4, agent(AGENT), 'agent_transferred_to_agent', {
            fromAgentId: AGENT,
            toAgentId: OTHER_AGENT,
          }),
        ]);
      expect(state).toMatchObject({ status: 'active', agentId: OTHER_AGENT, forced: false, agentConnected: true, assignment: 'accepted' });
      expect(state).toHaveProperty('agentDisconnectedAt', undefined);
    });
  });

  describe('waiting: the customer writes', () => {
    const SMALL_WINDOW: ConversationPolicy = { customerReviveWindowMs: 10 * MINUTE };
    const waiting = [opened('sms'), picked(AGENT, 1), parked(AGENT, 2)];

    it('within the revive window: the message, then back to open (events in that order)', () => {
      given(...waiting)
        .withPolicy(SMALL_WINDOW)
        .when(customerMessage(5))
        .then([
          event('CustomerMessageReceived', 5, customer(CUSTOMER), 'customer_wrote', {}),
          event('ConversationRevivedByCustomer', 5, customer(CUSTOMER), 'customer_wrote_within_revive_window', {
            previousAgentId: AGENT,
            queueId: QUEUE,
          }),
        ]);
    });

    it('at the very end of the window (inclusive): still revived', () => {
      const state = given(...waiting)
        .withPolicy(SMALL_WINDOW)
        .when(customerMessage(12))
        .then([
          event('CustomerMessageReceived', 12, customer(CUSTOMER), 'customer_wrote', {}),
          event('ConversationRevivedByCustomer', 12, customer(CUSTOMER), 'customer_wrote_within_revive_window', {
            previousAgentId: AGENT,
            queueId: QUEUE,
          }),
        ]);
      expect(state.status).toBe('open');
    });

    it('after the window: only the message is recorded, it stays waiting with an unread message for its owner', () => {
      const state = given(...waiting)
        .withPolicy(SMALL_WINDOW)
        .when(customerMessage(13))
        .then([event('CustomerMessageReceived', 13, customer(CUSTOMER), 'customer_wrote', {})]);
      expect(state).toMatchObject({ status: 'waiting', agentId: AGENT, unreadCustomerMessages: 1, lastActivityAt: at(13) });
    });

    it('after the window the owner can still revive it', () => {
      given(...waiting, customerWrote(30))
        .withPolicy(SMALL_WINDOW)
        .when(revive(AGENT, 31))
        .then([event('ConversationRevivedByAgent', 31, agent(AGENT), 'agent_revived_from_my_work_items', { agentId: AGENT })]);
    });

    it('the window counts from when it was parked, not from the last message', () => {
      given(...waiting, customerWrote(11), agentWrote(AGENT, 11))
        .withPolicy(SMALL_WINDOW)
        .when(customerMessage(13))
        .then([event('CustomerMessageReceived', 13, customer(CUSTOMER), 'customer_wrote', {})]);
    });

    it('an agent message does not revive it', () => {
      const state = given(...waiting)
        .when(agentMessage(AGENT, 5))
        .then([event('AgentMessageSent', 5, agent(AGENT), 'agent_wrote', { agentId: AGENT })]);
      expect(state).toMatchObject({ status: 'waiting', lastActivityAt: at(5) });
    });
  });

  describe('auto-close', () => {
    it('voice active: moved to wrap-up, not closed', () => {
      const state = given(opened('voice'), picked(AGENT, 1))
        .when(autoClose(2 * 60 * MINUTE, 121))
        .then([
          event('ConversationAutoMovedToWrapUp', 121, system('auto-close'), `auto_close_after_active_${2 * 60 * MINUTE}ms`, {
            agentId: AGENT,
            afterMs: 2 * 60 * MINUTE,
          }),
        ]);
      expect(state).toMatchObject({ status: 'wrap_up', agentId: AGENT });
    });

    it('voice active, push still awaiting acceptance: closed (no call was taken), not moved to wrap-up', () => {
      const state = given(opened('voice'), pushed(AGENT, 1))
        .when(autoClose(2 * 60 * MINUTE, 121))
        .then([
          event('ConversationAutoClosed', 121, system('auto-close'), `auto_close_after_active_${2 * 60 * MINUTE}ms`, {
            fromStatus: 'active',
            afterMs: 2 * 60 * MINUTE,
          }),
        ]);
      expect(state).toMatchObject({ status: 'closed', closedBy: system('auto-close') });
      expect(state).not.toHaveProperty('agentId');
    });

    it.each([
      { how: 'push accepted', history: [opened('voice'), pushed(AGENT, 1), pushAccepted(AGENT, 1)] },
      { how: 'force-assigned', history: [opened('voice'), forceAssigned(AGENT, 1, SUPERVISOR_ACTOR)] },
    ])('voice active, $how: moved to wrap-up', ({ history }) => {
      given(...history)
        .when(autoClose(2 * 60 * MINUTE, 121))
        .then([
          event('ConversationAutoMovedToWrapUp', 121, system('auto-close'), `auto_close_after_active_${2 * 60 * MINUTE}ms`, {
            agentId: AGENT,
            afterMs: 2 * 60 * MINUTE,
          }),
        ]);
    });

    it('voice in wrap-up: closed', () => {
      given(opened('voice'), picked(AGENT, 1), endedByAgent(AGENT, 2))
        .when(autoClose(24 * 60 * MINUTE, 24 * 60 + 2))
        .then([
          event('ConversationAutoClosed', 24 * 60 + 2, system('auto-close'), `auto_close_after_wrap_up_${24 * 60 * MINUTE}ms`, {
            fromStatus: 'wrap_up',
            afterMs: 24 * 60 * MINUTE,
          }),
        ]);
    });

    it('live chat open: closed', () => {
      given(opened('live_chat'))
        .when(autoClose(20 * MINUTE, 20))
        .then([
          event('ConversationAutoClosed', 20, system('auto-close'), `auto_close_after_open_${20 * MINUTE}ms`, {
            fromStatus: 'open',
            afterMs: 20 * MINUTE,
          }),
        ]);
    });

    it('a sweep scheduled for another status changes nothing (the conversation moved on)', () => {
      const scheduledForOpen: ConversationCommand = {
        type: 'AutoClose',
        data: { afterMs: 20 * MINUTE, forStatus: 'open' },
        metadata: { now: at(25) },
      };
      given(opened('live_chat'), picked(AGENT, 5))
        .when(scheduledForOpen)
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', {
          details: { timer: 'auto-close', forStatus: 'open' },
        });
    });

    it.each([NaN, -1, 1.5, Infinity])('a timer with an invalid duration (%p) is refused as invalid data, never a crash', (afterMs) => {
      given(opened('sms')).when(autoClose(afterMs, 5)).thenRefusesData('afterMs');
    });

    it('a timer with an absurd duration (9e15 ms) is refused as not due, never a crash', () => {
      given(opened('sms'))
        .when(autoClose(9e15, 5))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', {
          details: { timer: 'auto-close', dueAt: undefined },
        });
    });

    it('a sweep naming the current status applies', () => {
      const scheduledForOpen: ConversationCommand = {
        type: 'AutoClose',
        data: { afterMs: 20 * MINUTE, forStatus: 'open' },
        metadata: { now: at(20) },
      };
      given(opened('live_chat'))
        .when(scheduledForOpen)
        .then([
          event('ConversationAutoClosed', 20, system('auto-close'), `auto_close_after_open_${20 * MINUTE}ms`, {
            fromStatus: 'open',
            afterMs: 20 * MINUTE,
          }),
        ]);
    });

    it('sms active: closed (everything but voice active closes)', () => {
      given(opened('sms'), picked(AGENT, 1))
        .when(autoClose(MINUTE, 2))
        .then([
          event('ConversationAutoClosed', 2, system('auto-close'), `auto_close_after_active_${MINUTE}ms`, {
            fromStatus: 'active',
            afterMs: MINUTE,
          }),
        ]);
    });
  });

  describe('inactivity close', () => {
    it('waiting -> closed', () => {
      given(opened('social'), picked(AGENT, 1), parked(AGENT, 2))
        .when(closeForInactivity(60 * MINUTE, 62))
        .then([
          event('ConversationClosedForInactivity', 62, system('inactivity-timer'), 'no_activity_while_waiting', { timeoutMs: 60 * MINUTE }),
        ]);
    });

    it.each([
      { status: 'open', history: [opened('sms')] },
      { status: 'active', history: [opened('sms'), picked(AGENT, 1)] },
      { status: 'wrap_up', history: [opened('sms'), picked(AGENT, 1), endedByAgent(AGENT, 2)] },
    ])('refused outside waiting ($status)', ({ history }) => {
      given(...history)
        .when(closeForInactivity(MINUTE, 5))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED');
    });
  });

  describe('consult, consult-end and monitor keep the status', () => {
    it.each(ALL)('consult: another agent joins, still active under the same agent (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1))
        .when(startConsult(AGENT, CONSULTANT, 3))
        .then([event('ConsultStarted', 3, agent(AGENT), 'agent_started_consult', { agentId: AGENT, consultantId: CONSULTANT })]);
      expect(state).toMatchObject({
        status: 'active',
        agentId: AGENT,
        consultants: [CONSULTANT],
        autoCloseClockSince: at(3),
        statusSince: at(1),
      });
    });

    it.each(ALL)('consult-end: the consultant leaves, still active under the same agent (%s)', (channel) => {
      const state = given(opened(channel), picked(AGENT, 1), consultStarted(AGENT, CONSULTANT, 2))
        .when(endConsult(CONSULTANT, 4))
        .then([event('ConsultEnded', 4, agent(CONSULTANT), 'consultant_left', { consultantId: CONSULTANT })]);
      expect(state).toMatchObject({ status: 'active', agentId: AGENT, consultants: [] });
    });

    it('consulting the agent who holds it is refused with CONSULT_CONFLICT', () => {
      given(opened('sms'), picked(AGENT, 1))
        .when(startConsult(AGENT, AGENT, 2))
        .thenThrows('CONVERSATION.CONSULT_CONFLICT', { status: 'active', details: { consultantId: AGENT } });
    });

    it('consulting someone already consulting is refused with CONSULT_CONFLICT', () => {
      given(opened('sms'), picked(AGENT, 1), consultStarted(AGENT, CONSULTANT, 2))
        .when(startConsult(AGENT, CONSULTANT, 3))
        .thenThrows('CONVERSATION.CONSULT_CONFLICT', { status: 'active' });
    });

    it('ending the consult of someone who is not consulting is refused with CONSULT_CONFLICT', () => {
      given(opened('sms'), picked(AGENT, 1), consultStarted(AGENT, CONSULTANT, 2))
        .when(endConsult(OTHER_AGENT, 3))
        .thenThrows('CONVERSATION.CONSULT_CONFLICT', { status: 'active', details: { consultantId: OTHER_AGENT } });
    });

    it('consultants leave with the holder: after a release and a new pick nobody is consulting', () => {
      const { state } = given(
        opened('sms'),
        picked(AGENT, 1),
        consultStarted(AGENT, CONSULTANT, 2),
        released(AGENT, 3),
        picked(OTHER_AGENT, 4),
      );
      expect(state).toMatchObject({ status: 'active', agentId: OTHER_AGENT, consultants: [] });
    });

    it.each(casesOf(SITUATIONS.filter((s) => s.name !== 'closed')))(
      'monitor: a supervisor starts watching, the status is unchanged ($situation, $channel)',
      ({ history }) => {
        const before = evolveAll(history);
        const state = given(...history)
          .when(monitor(SUPERVISOR, NOW))
          .then([event('MonitoringStarted', NOW, SUPERVISOR_ACTOR, 'supervisor_started_monitoring', { supervisorId: SUPERVISOR })]);
        expect(state).toEqual({ ...before, supervisors: [SUPERVISOR], autoCloseClockSince: at(NOW) });
      },
    );

    it('monitor twice by the same supervisor lists them once', () => {
      const state = given(
        opened('sms'),
        event('MonitoringStarted', 1, SUPERVISOR_ACTOR, 'supervisor_started_monitoring', { supervisorId: SUPERVISOR }),
      )
        .when(monitor(SUPERVISOR, 2))
        .then([event('MonitoringStarted', 2, SUPERVISOR_ACTOR, 'supervisor_started_monitoring', { supervisorId: SUPERVISOR })]);
      expect(state).toMatchObject({ supervisors: [SUPERVISOR] });
    });
  });

  describe('unread customer messages (through evolve)', () => {
    it('customer messages increment the count, an agent message resets it', () => {
      const history = [opened('sms'), customerWrote(1), customerWrote(2)];
      expect(given(...history).state).toMatchObject({ status: 'open', unreadCustomerMessages: 2 });

      const picked1 = [...history, picked(AGENT, 3)];
      expect(given(...picked1).state).toMatchObject({ unreadCustomerMessages: 2 });
      const afterThird = given(...picked1)
        .when(customerMessage(4))
        .then([event('CustomerMessageReceived', 4, customer(CUSTOMER), 'customer_wrote', {})]);
      expect(afterThird).toMatchObject({ unreadCustomerMessages: 3, lastActivityAt: at(4) });

      const afterReply = given(...picked1, customerWrote(4))
        .when(agentMessage(AGENT, 5))
        .then([event('AgentMessageSent', 5, agent(AGENT), 'agent_wrote', { agentId: AGENT })]);
      expect(afterReply).toMatchObject({ unreadCustomerMessages: 0, lastActivityAt: at(5) });
    });

    it('unread messages survive parking and a customer revive', () => {
      const { state } = given(
        opened('teams'),
        picked(AGENT, 1),
        parked(AGENT, 2),
        customerWrote(3),
        event('ConversationRevivedByCustomer', 3, customer(CUSTOMER), 'customer_wrote_within_revive_window', {
          previousAgentId: AGENT,
          queueId: QUEUE,
        }),
        customerWrote(4),
      );
      expect(state).toMatchObject({ status: 'open', unreadCustomerMessages: 2 });
    });
  });

  describe('times, actors and ids come from the command and the state', () => {
    it('a later revive restarts the status clock and keeps the customer and queue facts', () => {
      const state = given(opened('sms', 0, OTHER_QUEUE), picked(AGENT, 1), parked(AGENT, 2), revivedByAgent(AGENT, 40)).state;
      expect(state).toMatchObject({
        status: 'active',
        id: CONVERSATION,
        queueId: OTHER_QUEUE,
        customerId: CUSTOMER,
        openedAt: at(0),
        statusSince: at(40),
      });
    });

    it('agent reconnect clears the disconnection time', () => {
      const { state } = given(opened('sms'), picked(AGENT, 1), agentDisconnected(AGENT, 2), agentReconnected(AGENT, 3));
      expect(state).toMatchObject({ agentConnected: true });
      expect(state).toHaveProperty('agentDisconnectedAt', undefined);
    });
  });
});

// =============================================================================================
// Timers fire only once due
// =============================================================================================

describe('conversation decider: timers fire only once their condition has lasted their duration', () => {
  const DAY_MINUTES = 24 * 60;
  const DAY = DAY_MINUTES * MINUTE;
  const PUSH = 'expire-push-reservation' as const;
  const AGENT_TIMER = 'time-out-agent-disconnect' as const;
  const CUSTOMER_TIMER = 'time-out-customer-disconnect' as const;
  const INACTIVITY = 'close-for-inactivity' as const;
  const AUTO_CLOSE = 'auto-close' as const;

  /** One plain case per timer kind: the history that starts its clock at `since`, and what it does when it fires. */
  const KINDS: {
    action: TimerAction;
    history: ConversationEvent[];
    since: number;
    durationMs: number;
    fired: (minute: number) => ConversationEvent[];
  }[] = [
    {
      action: PUSH,
      history: [opened('sms'), pushed(AGENT, 1)],
      since: 1,
      durationMs: PUSH_RESERVATION_MS,
      fired: (m) => [
        event('ConversationPushReservationExpired', m, system('push-reservation-timer'), 'push_reservation_timeout', {
          agentId: AGENT,
          queueId: QUEUE,
          timeoutMs: PUSH_RESERVATION_MS,
        }),
      ],
    },
    {
      action: AGENT_TIMER,
      history: [opened('voice'), picked(AGENT, 1), agentDisconnected(AGENT, 2)],
      since: 2,
      durationMs: AGENT_DISCONNECT_MS,
      fired: (m) => [
        event('ConversationRequeuedAfterAgentDisconnect', m, system('agent-disconnect-timer'), 'agent_disconnect_timeout', {
          agentId: AGENT,
          queueId: QUEUE,
          timeoutMs: AGENT_DISCONNECT_MS,
        }),
      ],
    },
    {
      action: CUSTOMER_TIMER,
      history: [opened('live_chat'), picked(AGENT, 1), customerDisconnected(2)],
      since: 2,
      durationMs: CUSTOMER_DISCONNECT_MS,
      fired: (m) => [
        event('ConversationEndedByCustomer', m, system('customer-disconnect-timer'), 'customer_disconnect_timeout', { agentId: AGENT }),
      ],
    },
    {
      action: INACTIVITY,
      history: [opened('teams'), picked(AGENT, 1), parked(AGENT, 2)],
      since: 2,
      durationMs: 60 * MINUTE,
      fired: (m) => [
        event('ConversationClosedForInactivity', m, system('inactivity-timer'), 'no_activity_while_waiting', { timeoutMs: 60 * MINUTE }),
      ],
    },
    {
      action: AUTO_CLOSE,
      history: [opened('sms'), picked(AGENT, 1)],
      since: 1,
      durationMs: 20 * MINUTE,
      fired: (m) => [
        event('ConversationAutoClosed', m, system('auto-close'), `auto_close_after_active_${20 * MINUTE}ms`, {
          fromStatus: 'active',
          afterMs: 20 * MINUTE,
        }),
      ],
    },
  ];

  it.each(KINDS)('$action fires exactly when due (now = since + duration)', ({ action, history, since, durationMs, fired }) => {
    const dueMinute = due(since, durationMs);
    given(...history)
      .when(TIMER_COMMAND[action](durationMs, dueMinute))
      .then(fired(dueMinute));
  });

  it.each(KINDS)('$action fires late too (a day after it was due)', ({ action, history, since, durationMs, fired }) => {
    const late = due(since, durationMs) + DAY_MINUTES;
    given(...history)
      .when(TIMER_COMMAND[action](durationMs, late))
      .then(fired(late));
  });

  it.each(KINDS)(
    '$action is refused 1 ms before it is due with TIMER_NOT_DUE, saying when it will be',
    ({ action, history, since, durationMs }) => {
      const dueMinute = due(since, durationMs);
      const error = given(...history)
        .when(TIMER_COMMAND[action](durationMs, justBefore(dueMinute)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { details: notDue(action, dueMinute) });
      expect(error.details).toEqual(notDue(action, dueMinute));
      expect(error.conversationId).toBe(CONVERSATION);
      expect(error.message).toContain(at(dueMinute));
    },
  );

  it('the permission check comes first: a timer whose condition does not hold is refused as a transition, however early', () => {
    given(opened('sms'), picked(AGENT, 1))
      .when(closeForInactivity(DAY, 2))
      .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active', details: { action: INACTIVITY, channel: 'sms' } });
  });

  describe('push reservation', () => {
    it("rejected and pushed again: the first push's timer is not due, the new push's clock counts", () => {
      const history = [opened('sms'), pushed(AGENT, 1), pushRejected(AGENT, 2), pushed(OTHER_AGENT, 4)];
      given(...history)
        .when(expirePushReservation(due(1, PUSH_RESERVATION_MS)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { status: 'active', details: notDue(PUSH, due(4, PUSH_RESERVATION_MS)) });
      given(...history)
        .when(expirePushReservation(due(4, PUSH_RESERVATION_MS)))
        .then([
          event(
            'ConversationPushReservationExpired',
            due(4, PUSH_RESERVATION_MS),
            system('push-reservation-timer'),
            'push_reservation_timeout',
            {
              agentId: OTHER_AGENT,
              queueId: QUEUE,
              timeoutMs: PUSH_RESERVATION_MS,
            },
          ),
        ]);
    });

    it('accepted: a late reservation timer is refused as a transition (nothing awaits acceptance)', () => {
      given(opened('sms'), pushed(AGENT, 1), pushAccepted(AGENT, 2))
        .when(expirePushReservation(10))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });
  });

  describe('agent disconnect', () => {
    it('the agent reconnected: a late timer is refused as a transition (the agent is connected)', () => {
      given(opened('sms'), picked(AGENT, 1), agentDisconnected(AGENT, 2), agentReconnected(AGENT, 2.5))
        .when(timeOutAgentDisconnect(10))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it("reconnected and disconnected again: the first disconnection's timer is not due, the second's counts", () => {
      const history = [
        opened('sms'),
        picked(AGENT, 1),
        agentDisconnected(AGENT, 2),
        agentReconnected(AGENT, 2.5),
        agentDisconnected(AGENT, 2.75),
      ];
      given(...history)
        .when(timeOutAgentDisconnect(due(2, AGENT_DISCONNECT_MS)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { status: 'active', details: notDue(AGENT_TIMER, due(2.75, AGENT_DISCONNECT_MS)) });
      given(...history)
        .when(timeOutAgentDisconnect(due(2.75, AGENT_DISCONNECT_MS)))
        .then([
          event(
            'ConversationRequeuedAfterAgentDisconnect',
            due(2.75, AGENT_DISCONNECT_MS),
            system('agent-disconnect-timer'),
            'agent_disconnect_timeout',
            {
              agentId: AGENT,
              queueId: QUEUE,
              timeoutMs: AGENT_DISCONNECT_MS,
            },
          ),
        ]);
    });
  });

  describe('customer disconnect', () => {
    it('the customer reconnected: a late timer is refused as a transition (the customer is connected)', () => {
      given(opened('live_chat'), customerDisconnected(1), customerReconnected(2))
        .when(timeOutCustomerDisconnect(10))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'open' });
    });

    it("reconnected and disconnected again: the first disconnection's timer is not due", () => {
      given(opened('live_chat'), picked(AGENT, 1), customerDisconnected(2), customerReconnected(3), customerDisconnected(4))
        .when(timeOutCustomerDisconnect(due(2, CUSTOMER_DISCONNECT_MS)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { status: 'active', details: notDue(CUSTOMER_TIMER, due(4, CUSTOMER_DISCONNECT_MS)) });
    });

    it("the customer's disconnection outlives a pick: the clock runs from the disconnection, not the pick", () => {
      given(opened('live_chat'), customerDisconnected(1), picked(AGENT, 3))
        .when(timeOutCustomerDisconnect(due(1, CUSTOMER_DISCONNECT_MS)))
        .then([
          event(
            'ConversationEndedByCustomer',
            due(1, CUSTOMER_DISCONNECT_MS),
            system('customer-disconnect-timer'),
            'customer_disconnect_timeout',
            { agentId: AGENT },
          ),
        ]);
    });
  });

  describe('inactivity (waiting)', () => {
    const TIMEOUT = 3 * DAY;
    const waiting = [opened('sms'), picked(AGENT, 1), parked(AGENT, 2)];
    // After the default 24 h revive window, so the customer's message leaves it waiting.
    const LATER = 2 + DAY_MINUTES + 1;

    it('a customer message restarts it: the timer from the parking is not due', () => {
      const wrote = customerWrote(LATER);
      given(...waiting)
        .when(customerMessage(LATER))
        .then([wrote]);
      given(...waiting, wrote)
        .when(closeForInactivity(TIMEOUT, due(2, TIMEOUT)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { status: 'waiting', details: notDue(INACTIVITY, due(LATER, TIMEOUT)) });
    });

    it('an agent message restarts it too', () => {
      given(...waiting, agentWrote(AGENT, LATER))
        .when(closeForInactivity(TIMEOUT, due(2, TIMEOUT)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { status: 'waiting', details: notDue(INACTIVITY, due(LATER, TIMEOUT)) });
    });

    it("revived and parked again: the first parking's timer is not due", () => {
      given(...waiting, revivedByAgent(AGENT, 10), parked(AGENT, 20))
        .when(closeForInactivity(60 * MINUTE, due(2, 60 * MINUTE)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { status: 'waiting', details: notDue(INACTIVITY, due(20, 60 * MINUTE)) });
    });
  });

  describe('auto-close', () => {
    const AFTER = 20 * MINUTE;
    const worked = [opened('sms'), picked(AGENT, 1)];

    it.each([
      { what: 'a supervisor starts monitoring', restart: monitoringStarted(SUPERVISOR, 10) },
      { what: 'a consult starts', restart: consultStarted(AGENT, CONSULTANT, 10) },
      { what: 'it is transferred to another agent', restart: transferredToAgent(AGENT, OTHER_AGENT, 10) },
      { what: 'its status changes (released, then picked again)', restart: picked(OTHER_AGENT, 10) },
    ])('restarted when $what: the earlier timer is not due', ({ restart }) => {
      const history = restart.type === 'ConversationPicked' ? [...worked, released(AGENT, 5), restart] : [...worked, restart];
      given(...history)
        .when(autoClose(AFTER, due(1, AFTER)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { status: 'active', details: notDue(AUTO_CLOSE, due(10, AFTER)) });
    });

    it('messages do not restart it: an active conversation is auto-closed however much is written', () => {
      given(...worked, customerWrote(10), agentWrote(AGENT, 20))
        .when(autoClose(AFTER, due(1, AFTER)))
        .then([
          event('ConversationAutoClosed', due(1, AFTER), system('auto-close'), `auto_close_after_active_${AFTER}ms`, {
            fromStatus: 'active',
            afterMs: AFTER,
          }),
        ]);
    });
  });
});

// =============================================================================================
// Identity and existence
// =============================================================================================

describe('conversation decider: identity', () => {
  const worked = (channel: Channel) => [opened(channel), picked(AGENT, 1)];
  const cases: { what: string; history: ConversationEvent[]; command: ConversationCommand }[] = [
    { what: 'end by another agent', history: worked('sms'), command: endByAgent(OTHER_AGENT, 5) },
    { what: 'release by another agent', history: worked('voice'), command: release(OTHER_AGENT, 5) },
    { what: 'transfer by another agent', history: worked('sms'), command: transferToQueue(OTHER_AGENT, OTHER_QUEUE, 5) },
    { what: 'resolve by another agent', history: worked('record'), command: resolve(OTHER_AGENT, 5) },
    { what: 'close-session by another agent (active)', history: worked('live_chat'), command: closeSession(OTHER_AGENT, 5) },
    { what: 'consult by another agent', history: worked('sms'), command: startConsult(OTHER_AGENT, CONSULTANT, 5) },
    { what: 'agent message by another agent', history: worked('sms'), command: agentMessage(OTHER_AGENT, 5) },
    { what: 'agent-disconnect of another agent', history: worked('sms'), command: disconnectAgent(OTHER_AGENT, 5) },
    {
      what: 'agent-reconnect of another agent',
      history: [...worked('sms'), agentDisconnected(AGENT, 2)],
      command: reconnectAgent(OTHER_AGENT, 5),
    },
    { what: 'accept by another agent', history: [opened('sms'), pushed(AGENT, 1)], command: accept(OTHER_AGENT, 2) },
    { what: 'reject by another agent', history: [opened('sms'), pushed(AGENT, 1)], command: reject(OTHER_AGENT, 2) },
    { what: 'revive by another agent', history: [...worked('sms'), parked(AGENT, 2)], command: revive(OTHER_AGENT, 5) },
    {
      what: 'agent message by another agent while waiting',
      history: [...worked('sms'), parked(AGENT, 2)],
      command: agentMessage(OTHER_AGENT, 5),
    },
    {
      what: 'close-session after wrap-up by another agent',
      history: [...worked('voice'), endedByAgent(AGENT, 2)],
      command: closeSession(OTHER_AGENT, 5),
    },
  ];

  it.each(cases)('an agent who does not hold it is refused with NOT_HELD_BY_AGENT: $what', ({ history, command }) => {
    given(...history)
      .when(command)
      .thenThrows('CONVERSATION.NOT_HELD_BY_AGENT', { details: { agentId: OTHER_AGENT } });
  });

  it('the transition is checked before the identity: another agent ending an open conversation is told it is not allowed', () => {
    given(opened('sms')).when(endByAgent(OTHER_AGENT, 1)).thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'open' });
  });

  it('a pushed (reserved) conversation cannot be picked by another agent: it is no longer open', () => {
    given(opened('sms'), pushed(AGENT, 1))
      .when(pick(OTHER_AGENT, 2))
      .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
  });

  it.each(casesOf(SITUATIONS))('opening twice is refused with ALREADY_EXISTS ($situation, $channel)', ({ history, channel }) => {
    const error = given(...history)
      .when(open(channel, NOW))
      .thenThrows('CONVERSATION.ALREADY_EXISTS');
    expect(error.conversationId).toBe(CONVERSATION);
  });
});

// =============================================================================================
// Forbidden combinations
// =============================================================================================

describe('conversation decider: forbidden combinations', () => {
  describe('the permission table matches docs/architecture.md', () => {
    it.each(casesOf(SITUATIONS))('allowed actions: $situation, $channel', ({ situation: name, channel, history }) => {
      expect(sorted(allowedActions(evolveAll(history)))).toEqual(sorted(situation(name).expectedAllowed(channel)));
    });
  });

  describe('every action not allowed is refused, every allowed one is not (state x channel x action)', () => {
    const rows = casesOf(SITUATIONS).flatMap(({ situation: name, channel, history }) => {
      const state = evolveAll(history);
      const allowed = allowedActions(state);
      return ACTIONS.map((action) => ({
        situation: name,
        channel,
        action,
        history,
        verdict: action === 'open' ? 'refused (ALREADY_EXISTS)' : allowed.includes(action) ? 'allowed' : 'refused',
      }));
    });

    // Allowed timer commands are sent when due (TIMER_MS), so an allowed action is never refused here.
    it.each(rows)('$situation, $channel: $action is $verdict', ({ history, action, verdict }) => {
      const { state } = given(...history);
      const command = COMMAND_FOR[action](state, NOW);
      expect(actionOf(command)).toBe(action);
      if (verdict === 'allowed') {
        const events = decide(command, state);
        expect(events.length).toBeGreaterThan(0);
        return;
      }
      const code = action === 'open' ? 'CONVERSATION.ALREADY_EXISTS' : 'CONVERSATION.TRANSITION_NOT_ALLOWED';
      const error = given(...history)
        .when(command)
        .thenThrows(code, { status: state.status, allowedActions: allowedActions(state) });
      if (code === 'CONVERSATION.TRANSITION_NOT_ALLOWED') {
        expect(error.details).toEqual({ action, channel: channelOf(state) });
      }
    });
  });

  describe('an allowed timer is refused only as not due: 1 ms early it is TIMER_NOT_DUE, exactly when due it fires', () => {
    const rows = casesOf(SITUATIONS).flatMap(({ situation: name, channel, history }) => {
      const state = evolveAll(history);
      return allowedActions(state)
        .filter(isTimerAction)
        .map((action) => ({ situation: name, channel, action, history }));
    });

    it.each(rows)('$situation, $channel: $action', ({ history, action }) => {
      const { state } = given(...history);
      if (state.status === 'none') throw new Error('Situations are opened');
      const since = TIMER_CLOCK[action].since(state);
      expect(since).toBeDefined();
      const dueMinute = due(minuteOf(since as string), TIMER_MS[action]);
      given(...history)
        .when(TIMER_COMMAND[action](TIMER_MS[action], justBefore(dueMinute)))
        .thenThrows('CONVERSATION.TIMER_NOT_DUE', { details: notDue(action, dueMinute) });
      expect(decide(TIMER_COMMAND[action](TIMER_MS[action], dueMinute), state).length).toBeGreaterThan(0);
    });
  });

  describe('notable refusals', () => {
    it('closed is terminal: nothing is allowed', () => {
      const state = evolveAll([opened('sms'), picked(AGENT, 1), forceClosed(2)]);
      expect(allowedActions(state)).toEqual([]);
      given(opened('sms'), picked(AGENT, 1), forceClosed(2))
        .when(revive(AGENT, 3))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'closed', allowedActions: [] });
    });

    it.each(['voice', 'record'] as const)('waiting never applies to %s: close-session on active is refused', (channel) => {
      given(opened(channel), picked(AGENT, 1))
        .when(closeSession(AGENT, 2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it('waiting never applies to live chat: close-session on active goes to open, not waiting', () => {
      const state = given(opened('live_chat'), picked(AGENT, 1))
        .when(closeSession(AGENT, 2))
        .then([
          event('ConversationRequeuedOnSessionClose', 2, agent(AGENT), 'agent_closed_active_live_chat_session', {
            agentId: AGENT,
            queueId: QUEUE,
          }),
        ]);
      expect(state.status).toBe('open');
    });

    it('End by the agent is refused for record', () => {
      given(opened('record'), picked(AGENT, 1))
        .when(endByAgent(AGENT, 2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', {
          status: 'active',
          allowedActions: [
            'release',
            'transfer',
            'resolve',
            'customer-message',
            'agent-message',
            'consult',
            'monitor',
            'force-close',
            'auto-close',
          ],
        });
    });

    it.each(ALL_BUT_RECORD)('resolve is refused for non-record channels (%s)', (channel) => {
      given(opened(channel), picked(AGENT, 1))
        .when(resolve(AGENT, 2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it.each(NOT_LIVE_CHAT)('End by the customer is refused for non-live-chat channels, open or active (%s)', (channel) => {
      given(opened(channel)).when(endByCustomer(1)).thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'open' });
      given(opened(channel), picked(AGENT, 1))
        .when(endByCustomer(2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it.each(NOT_LIVE_CHAT)('customer disconnects are a live-chat matter only (%s)', (channel) => {
      given(opened(channel), picked(AGENT, 1))
        .when(disconnectCustomer(2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it('agent-disconnect is refused for record', () => {
      given(opened('record'), picked(AGENT, 1))
        .when(disconnectAgent(AGENT, 2))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'active' });
    });

    it.each(NOT_ASYNC)('revive needs waiting, which %s never reaches: refused in wrap_up or active', (channel) => {
      const history =
        channel === 'record' ? [opened(channel), picked(AGENT, 1)] : [opened(channel), picked(AGENT, 1), endedByAgent(AGENT, 2)];
      given(...history)
        .when(revive(AGENT, 3))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED');
    });

    it('a wrapped-up conversation cannot be reopened by its agent: release and pick are refused', () => {
      const history = [opened('sms'), picked(AGENT, 1), endedByAgent(AGENT, 2)];
      given(...history)
        .when(release(AGENT, 3))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', {
          status: 'wrap_up',
          allowedActions: ['close-session', 'monitor', 'force-close', 'auto-close'],
        });
      given(...history)
        .when(pick(OTHER_AGENT, 3))
        .thenThrows('CONVERSATION.TRANSITION_NOT_ALLOWED', { status: 'wrap_up' });
    });

    it('the refusal says what the conversation is and what may be done now', () => {
      const error = refusalOf(() => decide(endByAgent(AGENT, 2), evolveAll([opened('voice'), pushed(AGENT, 1)])));
      expect(error).toBeInstanceOf(ConversationError);
      expect(error.message).toContain("awaiting the agent's acceptance");
      expect(error.conversationId).toBe(CONVERSATION);
      expect(error.allowedActions).toEqual([
        'accept',
        'reject',
        'expire-push-reservation',
        'customer-message',
        'monitor',
        'force-close',
        'auto-close',
      ]);
    });
  });
});
