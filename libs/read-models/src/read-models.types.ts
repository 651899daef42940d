import type { AssignmentMethod, Channel, ConversationStatus, Presence, QueueMode } from '@lib/domain';

/**
 * The shapes the read models answer with. Times are ISO-8601 strings; positions are global
 * event-log positions (the projection has seen every event up to `position`).
 */

/** Which SQL database holds the read models. */
export type ReadModelDatabaseConfig = { kind: 'sqlite'; filename: string } | { kind: 'postgres'; url: string; schema?: string };

/** A page of results: `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageRequest {
  /** 1..MAX_PAGE_LIMIT (default DEFAULT_PAGE_LIMIT). */
  limit?: number;
  /** Opaque, from a previous page's nextCursor. */
  cursor?: string;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

/** One open item in a queue, in routing order (priority desc, then longest waiting). */
export interface QueueWorkItem {
  conversationId: string;
  queueId: string;
  channel: Channel;
  customerId: string;
  priority: number;
  /** When it (last) entered the queue. */
  queuedSince: string;
  /** now - queuedSince, in ms, as of the query's `now`. */
  waitMs: number;
  unreadCustomerMessages: number;
}

export interface QueueStatusCounts {
  queueId: string;
  open: number;
  active: number;
  waiting: number;
  wrap_up: number;
  closed: number;
}

/** An agent's own item: active, waiting or wrap-up. */
export interface MyWorkItem {
  conversationId: string;
  status: Exclude<ConversationStatus, 'open' | 'closed'>;
  statusSince: string;
  channel: Channel;
  queueId: string;
  customerId: string;
  unreadCustomerMessages: number;
  /** Active only: still awaiting the agent's acceptance of a push. */
  awaitingAcceptance: boolean;
}

export interface ClosedWorkItem {
  conversationId: string;
  agentId: string;
  channel: Channel;
  queueId: string;
  customerId: string;
  closedAt: string;
  closedBy: { kind: string; id: string };
  closeReason: string;
}

export interface ConversationDetail {
  conversationId: string;
  status: ConversationStatus;
  channel: Channel;
  queueId: string;
  customerId: string;
  priority: number;
  agentId?: string;
  lastAgentId?: string;
  openedAt: string;
  statusSince: string;
  closedAt?: string;
  unreadCustomerMessages: number;
  revision: number;
  position: number;
}

/** One row of the audit index: enough to find an event, then read it from its stream. */
export interface AuditEntry {
  position: number;
  conversationId: string;
  revision: number;
  type: string;
  at: string;
  actorKind: string;
  actorId: string;
  reason: string;
  /** Every agent the event concerns (the actor, the holder, a transfer's target, a consultant). */
  agentIds: string[];
}

export interface AuditQuery extends PageRequest {
  agentId?: string;
  conversationId?: string;
  /** Inclusive lower and exclusive upper bound on the event's time. */
  from?: string;
  to?: string;
}

/** How one projection stands: healthy, or stopped at an event it could not apply. */
export interface ProjectionStatus {
  name: string;
  position: number;
  healthy: boolean;
  failure?: {
    position: number;
    eventType: string;
    message: string;
    /**
     * true: a database or event-store error; the projection retries by itself with backoff.
     * Absent: the event at `position` cannot be applied; the projection is stopped there.
     */
    transient?: boolean;
  };
}

/** Capacity one conversation holds on an agent. */
export interface AgentClaim {
  conversationId: string;
  channel: Channel;
  queueId: string;
  units: number;
  /** assigned: being assigned or worked; wrap_up: its wrap-up blocks capacity (until blockedUntil, when set). */
  holding: 'assigned' | 'wrap_up';
  blockedUntil?: string;
  /** Reserved by a forced assignment, which may exceed capacity. */
  forced: boolean;
  since: string;
}

/** An agent's capacity as of the query's `now`, counted as the domain's capacityUsage counts it. */
export interface AgentCapacity {
  agentId: string;
  capacity: number;
  presence: Presence;
  presenceSince: string;
  /** The queues the agent serves, in the order it joined them. */
  queueIds: string[];
  /** Units of conversations assigned or being worked. */
  used: number;
  /** Units of conversations in wrap-up that still block as of now (a block whose time is over counts as free). */
  blocked: number;
  /** max(0, capacity - used - blocked). */
  free: number;
  /** used + blocked > capacity (forced assignments, or capacity lowered under the agent's load). */
  forcedOver: boolean;
  /** When work was last reserved for the agent (the round-robin order). */
  lastAssignedAt?: string;
  /** Every claim, longest held first. */
  claims: AgentClaim[];
}

/** What the push router needs of an agent: its capacity as of now and the queues it serves, without claims. */
export type ServingAgent = Omit<AgentCapacity, 'claims'>;

/** How many of a queue's conversations are in each live status. */

/**
 * A defined queue: its settings, how many agents serve it, and its conversations by status
 * (the counts GET /api/queues always answered, kept flat so existing callers read them as before).
 */
export interface QueueOverview extends QueueStatusCounts {
  name: string;
  mode: QueueMode;
  priority: number;
  method: AssignmentMethod;
  createdAt: string;
  /** Agents that serve the queue, whatever their presence. */
  agents: number;
}

/** A push queue, in the order the router serves queues. */
export interface PushQueue {
  queueId: string;
  priority: number;
  method: AssignmentMethod;
}

/** An open conversation waiting in a queue, for the push router. */
export interface OpenQueueItem {
  conversationId: string;
  queueId: string;
  channel: Channel;
  /** The item's own priority (its queue's priority orders it first). */
  priority: number;
  /** When it (last) entered the queue. */
  statusSince: string;
}
