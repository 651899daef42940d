import { isAsyncChannel, isLiveChat, isRecord } from './conversation.channel';
import type { ConversationCommand } from './conversation.commands';
import type { ConversationState, ExistingConversationState } from './conversation.state';

/**
 * What can be asked of a conversation, one name per distinct permission (End by the agent and
 * End by the customer are one command with different rules). Errors list these names.
 */
export type ConversationAction =
  | 'open'
  | 'pick'
  | 'assign'
  | 'accept'
  | 'reject'
  | 'expire-push-reservation'
  | 'end-by-agent'
  | 'end-by-customer'
  | 'close-session'
  | 'release'
  | 'transfer'
  | 'resolve'
  | 'revive'
  | 'agent-disconnect'
  | 'agent-reconnect'
  | 'time-out-agent-disconnect'
  | 'customer-disconnect'
  | 'customer-reconnect'
  | 'time-out-customer-disconnect'
  | 'customer-message'
  | 'agent-message'
  | 'consult'
  | 'consult-end'
  | 'monitor'
  | 'force-close'
  | 'auto-close'
  | 'close-for-inactivity';

export const actionOf = (command: ConversationCommand): ConversationAction => {
  switch (command.type) {
    case 'OpenConversation':
      return 'open';
    case 'PickConversation':
      return 'pick';
    case 'AssignConversation':
      return 'assign';
    case 'AcceptAssignment':
      return 'accept';
    case 'RejectAssignment':
      return 'reject';
    case 'ExpirePushReservation':
      return 'expire-push-reservation';
    case 'EndConversation':
      return command.data.by === 'agent' ? 'end-by-agent' : 'end-by-customer';
    case 'CloseSession':
      return 'close-session';
    case 'ReleaseConversation':
      return 'release';
    case 'TransferConversation':
      return 'transfer';
    case 'ResolveRecord':
      return 'resolve';
    case 'ReviveConversation':
      return 'revive';
    case 'DisconnectAgent':
      return 'agent-disconnect';
    case 'ReconnectAgent':
      return 'agent-reconnect';
    case 'TimeOutAgentDisconnect':
      return 'time-out-agent-disconnect';
    case 'DisconnectCustomer':
      return 'customer-disconnect';
    case 'ReconnectCustomer':
      return 'customer-reconnect';
    case 'TimeOutCustomerDisconnect':
      return 'time-out-customer-disconnect';
    case 'RecordMessage':
      return command.data.from === 'agent' ? 'agent-message' : 'customer-message';
    case 'StartConsult':
      return 'consult';
    case 'EndConsult':
      return 'consult-end';
    case 'StartMonitoring':
      return 'monitor';
    case 'ForceClose':
      return 'force-close';
    case 'AutoClose':
      return 'auto-close';
    case 'CloseForInactivity':
      return 'close-for-inactivity';
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
};

type Rule = (s: ExistingConversationState) => boolean;

const awaitingAcceptance: Rule = (s) => s.status === 'active' && s.assignment === 'awaiting_acceptance';
/** The agent holds it, has accepted it and is connected: the agent's own actions are possible. */
const workedByAgent: Rule = (s) => s.status === 'active' && s.assignment === 'accepted' && s.agentConnected;
const notClosed: Rule = (s) => s.status !== 'closed';
const liveChatBeforeWork: Rule = (s) => isLiveChat(s.channel) && (s.status === 'open' || s.status === 'active');
const customerOnLine: Rule = (s) => s.status === 'open' || s.status === 'active';

/**
 * The transition table, read as "this action is possible when". decide() refuses anything
 * else with the list that this table gives for the current state.
 */
const ALLOWED_WHEN: Record<Exclude<ConversationAction, 'open'>, Rule> = {
  // open -> active
  pick: (s) => s.status === 'open',
  assign: (s) => s.status === 'open',
  // inside active, before acceptance
  accept: awaitingAcceptance,
  reject: awaitingAcceptance,
  'expire-push-reservation': awaitingAcceptance,
  // active -> wrap_up (agent End: all but record)
  'end-by-agent': (s) => workedByAgent(s) && !isRecord(s.channel),
  // live chat: open -> closed, active (not accepted) -> closed, active -> wrap_up
  'end-by-customer': liveChatBeforeWork,
  // live chat active -> open, async active -> waiting, any wrap_up -> closed
  'close-session': (s) => (workedByAgent(s) && (isLiveChat(s.channel) || isAsyncChannel(s.channel))) || s.status === 'wrap_up',
  // active -> open
  release: workedByAgent,
  transfer: workedByAgent,
  // record: active -> closed
  resolve: (s) => workedByAgent(s) && isRecord(s.channel),
  // waiting -> active
  revive: (s) => s.status === 'waiting',
  // agent connection (all but record): disconnect, reconnect, or timeout -> open
  'agent-disconnect': (s) => workedByAgent(s) && !isRecord(s.channel),
  'agent-reconnect': (s) => s.status === 'active' && !s.agentConnected,
  'time-out-agent-disconnect': (s) => s.status === 'active' && !s.agentConnected,
  // live-chat customer connection: timeout closes from open / unaccepted push, wraps up from active
  'customer-disconnect': (s) => liveChatBeforeWork(s) && s.customerConnected,
  'customer-reconnect': (s) => liveChatBeforeWork(s) && !s.customerConnected,
  'time-out-customer-disconnect': (s) => liveChatBeforeWork(s) && !s.customerConnected,
  // activity
  'customer-message': (s) => customerOnLine(s) || s.status === 'waiting',
  'agent-message': (s) => workedByAgent(s) || s.status === 'waiting',
  consult: workedByAgent,
  'consult-end': (s) => s.status === 'active' && s.consultants.length > 0,
  monitor: notClosed,
  // any but closed -> closed (voice active -> wrap_up on auto-close)
  'force-close': notClosed,
  'auto-close': notClosed,
  // async waiting -> closed
  'close-for-inactivity': (s) => s.status === 'waiting',
};

export const allowedActions = (state: ConversationState): ConversationAction[] => {
  if (state.status === 'none') return ['open'];
  return (Object.keys(ALLOWED_WHEN) as Exclude<ConversationAction, 'open'>[]).filter((action) => ALLOWED_WHEN[action](state));
};

export const isAllowed = (action: ConversationAction, state: ConversationState): boolean =>
  state.status === 'none' ? action === 'open' : action !== 'open' && ALLOWED_WHEN[action](state);
