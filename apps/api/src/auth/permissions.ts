import type { AgentCommand, ConversationCommandType, DefineQueue } from '@lib/domain';
import { forbidden } from './auth.errors';
import type { Principal, Role } from '@lib/platform';

/** Reads the API serves, named like commands so each has a row below. */
export type ApiQuery =
  | 'GetConversation'
  | 'GetConversationHistory'
  | 'ListQueues'
  | 'GetQueue'
  | 'QueueWorkItems'
  | 'CapacityBoard'
  | 'GetAgent'
  | 'AgentWorkItems'
  | 'AgentClosedWorkItems'
  | 'AuditIndex'
  | 'QueueStats'
  | 'AgentStats'
  | 'OngoingConversations'
  | 'WatchChanges';

/** The outbound event feed: webhook subscriptions (administered) and the event stream (read). */
export type FeedAction =
  | 'CreateWebhook'
  | 'ListWebhooks'
  | 'GetWebhook'
  | 'UpdateWebhook'
  | 'DeleteWebhook'
  | 'PauseWebhook'
  | 'ResumeWebhook'
  | 'RotateWebhookSecret'
  | 'TestWebhook'
  | 'ReplayWebhook'
  | 'ListWebhookDeliveries'
  | 'StreamEvents';

export type ApiAction = ConversationCommandType | AgentCommand['type'] | DefineQueue['type'] | ApiQuery | FeedAction;

/**
 * What a role must also be to the thing acted on:
 * - `any`: nothing more;
 * - `self`: the agent named is the caller (`sub`);
 * - `holder`: the caller holds the conversation (checked by the decider on the caller's own id);
 * - `consultant`: the caller is the consultant named;
 * - `involved`: the caller holds, held or consults on the conversation, or it is open in a queue the caller serves;
 * - `serves-queue`: the caller serves the queue.
 */
export type Relation = 'any' | 'self' | 'holder' | 'consultant' | 'involved' | 'serves-queue';

/** Who may do what: the roles allowed for each action and the relation each needs. No row, no access. */
export type Rule = Partial<Record<Role, Relation>>;

const SYSTEM_ONLY: Rule = {};

/**
 * Every command and query, decided in this one place: a new command does not compile until it
 * has a row. Commands with no role are the service's own (timers, routing, capacity) and are
 * never accepted over HTTP.
 */
export const PERMISSIONS: Record<ApiAction, Rule> = {
  OpenConversation: { channel: 'any' },
  PickConversation: { agent: 'self' },
  AssignConversation: { supervisor: 'any' },
  AcceptAssignment: { agent: 'holder' },
  RejectAssignment: { agent: 'holder' },
  ExpirePushReservation: SYSTEM_ONLY,
  EndConversation: { agent: 'holder', channel: 'any' },
  CloseSession: { agent: 'holder' },
  ReleaseConversation: { agent: 'holder', supervisor: 'any' },
  TransferConversation: { agent: 'holder', supervisor: 'any' },
  ResolveRecord: { agent: 'holder' },
  ReviveConversation: { agent: 'holder' },
  DisconnectAgent: { agent: 'holder' },
  ReconnectAgent: { agent: 'holder' },
  TimeOutAgentDisconnect: SYSTEM_ONLY,
  DisconnectCustomer: { channel: 'any' },
  ReconnectCustomer: { channel: 'any' },
  TimeOutCustomerDisconnect: SYSTEM_ONLY,
  RecordMessage: { channel: 'any', agent: 'holder' },
  StartConsult: { agent: 'holder' },
  EndConsult: { agent: 'consultant', supervisor: 'any' },
  StartMonitoring: { supervisor: 'any' },
  ForceClose: { supervisor: 'any' },
  AutoClose: SYSTEM_ONLY,
  CloseForInactivity: SYSTEM_ONLY,
  RegisterAgent: { admin: 'any' },
  ChangePresence: { agent: 'self', supervisor: 'any' },
  ReserveCapacity: SYSTEM_ONLY,
  CancelReservation: SYSTEM_ONLY,
  SettleCapacity: SYSTEM_ONLY,
  DefineQueue: { admin: 'any' },
  GetConversation: { supervisor: 'any', agent: 'involved' },
  GetConversationHistory: { supervisor: 'any', agent: 'involved' },
  ListQueues: { supervisor: 'any', admin: 'any', agent: 'any' },
  GetQueue: { supervisor: 'any', admin: 'any', agent: 'any' },
  QueueWorkItems: { supervisor: 'any', agent: 'serves-queue' },
  CapacityBoard: { supervisor: 'any', admin: 'any' },
  GetAgent: { supervisor: 'any', admin: 'any', agent: 'self' },
  AgentWorkItems: { supervisor: 'any', agent: 'self' },
  AgentClosedWorkItems: { supervisor: 'any', agent: 'self' },
  AuditIndex: { supervisor: 'any' },
  QueueStats: { supervisor: 'any' },
  // Any agent may ask, and gets its own row only (the controller filters); a supervisor gets every agent's.
  AgentStats: { supervisor: 'any', agent: 'any' },
  // The supervisor's Ongoing conversations: every conversation not closed.
  OngoingConversations: { supervisor: 'any' },
  // The desk's live changes: a supervisor's cover everything, an agent's only what it may see (the stream filters).
  WatchChanges: { supervisor: 'any', agent: 'any' },
  // Webhooks send every event they match to a URL of the caller's choosing: administrators only.
  CreateWebhook: { admin: 'any' },
  ListWebhooks: { admin: 'any' },
  GetWebhook: { admin: 'any' },
  UpdateWebhook: { admin: 'any' },
  DeleteWebhook: { admin: 'any' },
  PauseWebhook: { admin: 'any' },
  ResumeWebhook: { admin: 'any' },
  RotateWebhookSecret: { admin: 'any' },
  TestWebhook: { admin: 'any' },
  ReplayWebhook: { admin: 'any' },
  ListWebhookDeliveries: { admin: 'any' },
  // The whole log, every stream: those who may read it all.
  StreamEvents: { supervisor: 'any', admin: 'any', integration: 'any' },
};

const describeRule = (rule: Rule): string =>
  Object.entries(rule)
    .map(([role, relation]) => (relation === 'any' ? role : `${role} (${relation})`))
    .join(' or ') || 'no caller (the service does this itself)';

/** The roles of the caller that this action allows, in the rule's order; 403 naming what was needed when none. */
export const allowedRoles = (principal: Principal, action: ApiAction): Role[] => {
  const rule = PERMISSIONS[action];
  const roles = (Object.keys(rule) as Role[]).filter((role) => principal.roles.includes(role));
  if (roles.length === 0) {
    throw forbidden(
      `${action} needs the role ${describeRule(rule)}; the token has ${principal.roles.join(', ') || 'no role this service knows'}`,
      {
        action,
        needed: rule,
      },
    );
  }
  return roles;
};

/** The relation the caller needs under `role` for `action`. */
export const relationFor = (action: ApiAction, role: Role): Relation | undefined => PERMISSIONS[action][role];

/** 403 for a role the caller holds but whose relation does not hold here. */
export const relationNotMet = (action: ApiAction, role: Role, relation: Relation, what: string) =>
  forbidden(`${action} as ${role} needs the relation "${relation}": ${what}`, { action, role, relation });
