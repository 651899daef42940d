import type { AssignmentMethod, Channel, Presence } from '@lib/domain';

export interface PushQueue {
  queueId: string;
  priority: number;
  method: AssignmentMethod;
}

/** An open item waiting in a push queue, in routing order. */
export interface RoutableItem {
  conversationId: string;
  queueId: string;
  channel: Channel;
  priority: number;
  statusSince: string;
}

/** An agent serving at least one push queue, with its capacity as of the pass's time. */
export interface RoutableAgent {
  agentId: string;
  presence: Presence;
  capacity: number;
  free: number;
  lastAssignedAt?: string;
  /** Set by a routing pass on the agents it assigned, in order: later than any lastAssignedAt. */
  assignedInPass?: number;
  queueIds: string[];
}

/**
 * What the router reads to choose, from the read models. The views may lag the log by a
 * moment: a choice made on them is only an offer; the agent's and the conversation's streams
 * accept or refuse it.
 */
export interface RoutingViews {
  /** Push queues, highest priority first. */
  pushQueues(): Promise<PushQueue[]>;
  /** Open items of those queues: the queue's priority, then the item's, then the oldest first. */
  openItems(queueIds: string[], limit: number): Promise<RoutableItem[]>;
  agentsServing(queueIds: string[], now: string): Promise<RoutableAgent[]>;
}
