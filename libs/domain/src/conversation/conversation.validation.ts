import { validateByTable, type DataCheck } from '../shared/command-validation';
import { CHANNELS } from './conversation.channel';
import type { ConversationCommand, ConversationCommandType } from './conversation.commands';
import type { ConversationStatus } from './conversation.state';

export const MAX_CONVERSATION_PRIORITY = 100;
export const MAX_REJECT_REASON_LENGTH = 200;
export const MAX_FORCE_CLOSE_REASON_LENGTH = 500;
const STATUSES: readonly ConversationStatus[] = ['open', 'active', 'waiting', 'wrap_up', 'closed'];

const actingAgent: DataCheck = (data, check) => void check.id(data.agentId, 'agentId');
const duration =
  (field: string): DataCheck =>
  (data, check) =>
    void check.integer(data[field], field, 0);
const nothing: DataCheck = () => undefined;

/** What each command's data must hold: one row per command, so a new command must state its rule. */
const DATA_CHECKS: Record<ConversationCommandType, DataCheck> = {
  OpenConversation: (data, check) => {
    check.id(data.conversationId, 'conversationId');
    check.oneOf(data.channel, 'channel', CHANNELS);
    check.id(data.queueId, 'queueId');
    check.id(data.customerId, 'customerId');
    check.integer(data.priority, 'priority', 0, MAX_CONVERSATION_PRIORITY);
  },
  PickConversation: actingAgent,
  AssignConversation: (data, check) => {
    check.id(data.agentId, 'agentId');
    check.boolean(data.force, 'force');
    check.actor(data.by, 'by');
  },
  AcceptAssignment: actingAgent,
  RejectAssignment: (data, check) => {
    check.id(data.agentId, 'agentId');
    check.optional(data.reason, (reason) => check.text(reason, 'reason', MAX_REJECT_REASON_LENGTH));
  },
  ExpirePushReservation: duration('timeoutMs'),
  EndConversation: (data, check) => {
    if (check.oneOf(data.by, 'by', ['agent', 'customer']) === 'agent') check.id(data.agentId, 'agentId');
  },
  CloseSession: actingAgent,
  ReleaseConversation: (data, check) => {
    check.id(data.agentId, 'agentId');
    check.optional(data.by, (by) => check.actor(by, 'by'));
  },
  TransferConversation: (data, check) => {
    check.id(data.agentId, 'agentId');
    check.optional(data.by, (by) => check.actor(by, 'by'));
    const toQueue = check.optional(data.toQueueId, (id) => check.id(id, 'toQueueId'));
    const toAgent = check.optional(data.toAgentId, (id) => check.id(id, 'toAgentId'));
    if ((toQueue === undefined) === (toAgent === undefined)) {
      check.fail('toQueueId', 'or toAgentId: exactly one of them must be given', toQueue ?? toAgent);
    }
  },
  ResolveRecord: actingAgent,
  ReviveConversation: actingAgent,
  DisconnectAgent: actingAgent,
  ReconnectAgent: actingAgent,
  TimeOutAgentDisconnect: duration('timeoutMs'),
  DisconnectCustomer: nothing,
  ReconnectCustomer: nothing,
  TimeOutCustomerDisconnect: duration('timeoutMs'),
  RecordMessage: (data, check) => {
    if (check.oneOf(data.from, 'from', ['customer', 'agent']) === 'agent') check.id(data.agentId, 'agentId');
  },
  StartConsult: (data, check) => {
    check.id(data.agentId, 'agentId');
    check.id(data.consultantId, 'consultantId');
  },
  EndConsult: (data, check) => {
    check.id(data.consultantId, 'consultantId');
    check.optional(data.by, (by) => check.actor(by, 'by'));
  },
  StartMonitoring: (data, check) => void check.id(data.supervisorId, 'supervisorId'),
  ForceClose: (data, check) => {
    check.id(data.supervisorId, 'supervisorId');
    check.text(data.reason, 'reason', MAX_FORCE_CLOSE_REASON_LENGTH);
  },
  AutoClose: (data, check) => {
    check.integer(data.afterMs, 'afterMs', 0);
    check.optional(data.forStatus, (status) => check.oneOf(status, 'forStatus', STATUSES));
  },
  CloseForInactivity: duration('timeoutMs'),
};

/**
 * Refuses a conversation command whose data could not be recorded (InvalidCommandError with
 * code CONVERSATION.INVALID_COMMAND, naming the field), whoever sent it.
 */
export const validateConversationCommand = (command: ConversationCommand): void => {
  validateByTable('CONVERSATION.INVALID_COMMAND', DATA_CHECKS, command);
};
