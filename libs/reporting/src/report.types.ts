import type { ActorKind, Channel, ConversationStatus } from '@lib/domain';

/**
 * The shapes a report is made of. Everything is plain JSON: times are canonical ISO-8601 UTC
 * strings (`2026-03-01T23:30:00.000Z`), durations are SECONDS as numbers with millisecond
 * precision (at most three decimals: 94.286), rates are fractions between 0 and 1, and a value
 * that does not exist is `null` (never `undefined`, so JSON.parse(JSON.stringify(report)) deep
 * equals the report). Every definition is written out in libs/reporting/REPORT-DEFINITIONS.md.
 */

/** Options of a report: which conversations it covers and how capacity is counted. */
export interface ReportOptions {
  /** Inclusive: only conversations opened at or after this time. Absent: from the beginning. */
  from?: string;
  /** Exclusive: only conversations opened before this time; every event at or after it is ignored. */
  to?: string;
  /**
   * Capacity of every agent, in units; each conversation an agent holds costs one unit. Agents do
   * not carry a registered capacity yet: once they do, this becomes per agent (the agent's own
   * capacity as of each moment) and this option only the fallback. Default 1.
   */
  agentCapacity?: number;
}

export const DEFAULT_AGENT_CAPACITY = 1;

/** One conversation opened within the report's window. */
export interface ConversationReportRow {
  conversationId: string;
  channel: Channel;
  /** The queue at close (or, still open, at the report's asOf). */
  queueId: string;
  /** The queue it was opened in. */
  openedQueueId: string;
  customerId: string;
  priority: number;
  openedAt: string;
  /** UTC day of openedAt, YYYY-MM-DD. */
  openedDay: string;
  /** Status at close or at the report's asOf. */
  status: ConversationStatus;
  closed: boolean;
  closedAt: string | null;
  /** (closedAt, or asOf when still open) - openedAt. Equals open + active + waiting + wrapUp. */
  lifetimeSeconds: number;
  openSeconds: number;
  /** All time in `active`, including awaitingAcceptanceSeconds. */
  activeSeconds: number;
  /** Part of activeSeconds: a push reserved it to an agent who had not accepted yet. */
  awaitingAcceptanceSeconds: number;
  waitingSeconds: number;
  wrapUpSeconds: number;
  /** First time it became active: picked, pushed (even if then rejected) or force-assigned. */
  firstAssignedAt: string | null;
  /** firstAssignedAt - openedAt; null when it was never assigned. */
  waitBeforeFirstAssignmentSeconds: number | null;
  /** First time an agent worked it: picked, force-assigned or a push accepted. */
  firstAcceptedAt: string | null;
  /** Time active after acceptance + time in wrap-up; null when no agent ever accepted it. */
  handleSeconds: number | null;
  /** handleSeconds split by the agent holding it at the time (keys sorted). */
  handleSecondsByAgent: Record<string, number>;
  /** Everyone who held it (including an unaccepted push) or consulted on it, in order of first involvement. */
  agentsInvolved: string[];
  /** Those who held it (active, including awaiting acceptance), in order. */
  agentsHeld: string[];
  /** Those who consulted on it, in order. */
  consultants: string[];
  /** The last agent who held it. */
  lastAgentId: string | null;
  /** transfersToQueue + transfersToAgent. */
  transfers: number;
  transfersToQueue: number;
  transfersToAgent: number;
  /** ConversationReleasedToQueue + ConversationRequeuedOnSessionClose (an agent handed it back). */
  releases: number;
  /** ConversationRevivedByAgent + ConversationRevivedByCustomer. */
  revivals: number;
  /** ConversationParked: the agent closed an async session without ending it (active -> waiting). */
  parks: number;
  pushesRejected: number;
  pushesExpired: number;
  requeuedAfterAgentDisconnect: number;
  /** Closed without any agent ever having accepted it (by whatever means). */
  abandoned: boolean;
  /** Type of the event that closed it (ConversationWrapUpCompleted, ConversationAutoClosed, ...). */
  closeEvent: string | null;
  closedByKind: ActorKind | null;
  closedById: string | null;
  closeReason: string | null;
  /** Closed by a system actor (auto-close, inactivity, customer disconnect timeout). */
  automaticClose: boolean | null;
}

/** Figures of one group of conversations (a queue, an agent, a channel, a day, or all). */
export interface AggregateRow {
  key: string;
  conversations: number;
  closed: number;
  abandoned: number;
  /** abandoned / closed; null when none closed. */
  abandonmentRate: number | null;
  automaticCloses: number;
  /** automaticCloses / closed; null when none closed. */
  autoCloseRate: number | null;
  transfers: number;
  releases: number;
  revivals: number;
  /** Samples: waitBeforeFirstAssignmentSeconds of each conversation of the group that has one. */
  waitCount: number;
  waitMeanSeconds: number | null;
  waitP50Seconds: number | null;
  waitP90Seconds: number | null;
  /** Samples: handleSeconds of each conversation that has one (for an agent: the agent's own share). */
  handleCount: number;
  handleMeanSeconds: number | null;
  handleP50Seconds: number | null;
  handleP90Seconds: number | null;
}

export interface AgentAggregateRow extends AggregateRow {
  /** Conversations of the window this agent consulted on. */
  consulted: number;
  /** Sum of the agent's handle-time shares. */
  handleTotalSeconds: number;
  /** Time within [from, asOf) during which the agent's load was >= agentCapacity. */
  atOrOverCapacitySeconds: number;
}

export interface Report {
  /** When the books were closed: min(asOf given to finish, to). */
  asOf: string;
  from: string | null;
  to: string | null;
  agentCapacity: number;
  /** Global position of the last event the report has seen (0: none). */
  throughPosition: number;
  /** Ordered by openedAt, then conversationId. */
  conversations: ConversationReportRow[];
  /** All conversations of the window as one group (key `all`). */
  totals: AggregateRow;
  /** Each list ordered by key. */
  byQueue: AggregateRow[];
  byAgent: AgentAggregateRow[];
  byChannel: AggregateRow[];
  byDay: AggregateRow[];
}

// ---------------------------------------------------------------------------------------------
// Snapshot: the builder's whole working state, plain JSON, so a replay can stop and resume.
// ---------------------------------------------------------------------------------------------

/** Sub-states of a conversation that time is measured in: `active` split by acceptance. */
export type TimeBucket = 'open' | 'awaiting_acceptance' | 'active' | 'waiting' | 'wrap_up' | 'closed';

export interface ConversationMetricsSnapshot {
  openedQueueId: string;
  /** The running segment: what the conversation is in, who holds it, since when (epoch ms). */
  segment: { bucket: TimeBucket; agentId: string | null; sinceMs: number };
  /** Milliseconds accumulated per bucket (closed never accumulates). */
  ms: Record<Exclude<TimeBucket, 'closed'>, number>;
  handleMsByAgent: Record<string, number>;
  agentsInvolved: string[];
  agentsHeld: string[];
  consultants: string[];
  firstAssignedAt: string | null;
  firstAcceptedAt: string | null;
  transfersToQueue: number;
  transfersToAgent: number;
  releases: number;
  revivals: number;
  parks: number;
  pushesRejected: number;
  pushesExpired: number;
  requeuedAfterAgentDisconnect: number;
}

export interface TrackedConversationSnapshot {
  conversationId: string;
  /** Revision of the last event folded in. */
  revision: number;
  /** The domain's state (evolve), JSON round-tripped. */
  state: unknown;
  /** An event at or after `to` was seen: nothing more is applied. */
  frozen: boolean;
  /** null: opened before `from`, followed only for its agents' load. */
  metrics: ConversationMetricsSnapshot | null;
}

export interface AgentLoadSnapshot {
  agentId: string;
  /** Conversations it holds now that count against capacity (active or wrap-up). */
  load: number;
  /** Epoch ms up to which atOrOverCapacityMs is accounted. */
  sinceMs: number;
  atOrOverCapacityMs: number;
}

export interface ReportSnapshot {
  version: 1;
  options: { from: string | null; to: string | null; agentCapacity: number };
  lastPosition: number;
  /** Conversations not closed yet, in the order they were opened in the log. */
  conversations: TrackedConversationSnapshot[];
  /** Rows of the window's conversations already closed, in closing order. */
  closedRows: ConversationReportRow[];
  agents: AgentLoadSnapshot[];
}
