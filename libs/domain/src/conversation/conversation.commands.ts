import type { Actor } from '../shared/actor';
import type { IsoTime } from '../shared/time';
import type { Channel } from './conversation.channel';
import type { ConversationStatus } from './conversation.state';

/** Time comes in with the command (from the application's clock), never read inside the domain. */
export interface CommandMetadata {
  now: IsoTime;
}

type Command<Type extends string, Data> = { type: Type; data: Data; metadata: CommandMetadata };

export type OpenConversation = Command<
  'OpenConversation',
  { conversationId: string; channel: Channel; queueId: string; customerId: string; priority: number }
>;
export type PickConversation = Command<'PickConversation', { agentId: string }>;
/** Routing (actor system) or a supervisor pushes it to an agent; `force` skips acceptance and capacity. */
export type AssignConversation = Command<'AssignConversation', { agentId: string; force: boolean; by: Actor }>;
export type AcceptAssignment = Command<'AcceptAssignment', { agentId: string }>;
export type RejectAssignment = Command<'RejectAssignment', { agentId: string; reason?: string }>;
export type ExpirePushReservation = Command<'ExpirePushReservation', { timeoutMs: number }>;
export type EndConversation = Command<'EndConversation', { by: 'agent'; agentId: string } | { by: 'customer' }>;
export type CloseSession = Command<'CloseSession', { agentId: string }>;
/** `by`: a supervisor acting on the holder's behalf (recorded as the supervisor's act); absent: the holder. */
export type ReleaseConversation = Command<'ReleaseConversation', { agentId: string; by?: Actor }>;
export type TransferConversation = Command<
  'TransferConversation',
  ({ agentId: string; toQueueId: string } | { agentId: string; toAgentId: string }) & { by?: Actor }
>;
export type ResolveRecord = Command<'ResolveRecord', { agentId: string }>;
export type ReviveConversation = Command<'ReviveConversation', { agentId: string }>;
export type DisconnectAgent = Command<'DisconnectAgent', { agentId: string }>;
export type ReconnectAgent = Command<'ReconnectAgent', { agentId: string }>;
export type TimeOutAgentDisconnect = Command<'TimeOutAgentDisconnect', { timeoutMs: number }>;
export type DisconnectCustomer = Command<'DisconnectCustomer', Record<never, never>>;
export type ReconnectCustomer = Command<'ReconnectCustomer', Record<never, never>>;
export type TimeOutCustomerDisconnect = Command<'TimeOutCustomerDisconnect', { timeoutMs: number }>;
export type RecordMessage = Command<'RecordMessage', { from: 'customer' } | { from: 'agent'; agentId: string }>;
export type StartConsult = Command<'StartConsult', { agentId: string; consultantId: string }>;
/** `by`: a supervisor ending someone's consult; absent: the consultant leaving. */
export type EndConsult = Command<'EndConsult', { consultantId: string; by?: Actor }>;
export type StartMonitoring = Command<'StartMonitoring', { supervisorId: string }>;
export type ForceClose = Command<'ForceClose', { supervisorId: string; reason: string }>;
/**
 * Sent by the auto-close sweep when the conversation has stayed too long in its status. It names
 * the status its duration was chosen for (the sweep always does), so a sweep that raced a status
 * change changes nothing.
 */
export type AutoClose = Command<'AutoClose', { afterMs: number; forStatus?: ConversationStatus }>;
export type CloseForInactivity = Command<'CloseForInactivity', { timeoutMs: number }>;

export type ConversationCommand =
  | OpenConversation
  | PickConversation
  | AssignConversation
  | AcceptAssignment
  | RejectAssignment
  | ExpirePushReservation
  | EndConversation
  | CloseSession
  | ReleaseConversation
  | TransferConversation
  | ResolveRecord
  | ReviveConversation
  | DisconnectAgent
  | ReconnectAgent
  | TimeOutAgentDisconnect
  | DisconnectCustomer
  | ReconnectCustomer
  | TimeOutCustomerDisconnect
  | RecordMessage
  | StartConsult
  | EndConsult
  | StartMonitoring
  | ForceClose
  | AutoClose
  | CloseForInactivity;

export type ConversationCommandType = ConversationCommand['type'];
