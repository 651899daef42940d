/**
 * The read-model tables as Kysely sees them. Types stay portable between SQLite and
 * PostgreSQL: times are ISO-8601 text (always normalised with `toISOString`, so text order is
 * time order), positions are bigint in PostgreSQL (parsed back to number by the pool) and
 * integer in SQLite, booleans are 0/1 integers.
 */

/** One row per projection: how far it got, and the event it could not apply, if any. */
export interface ProjectionCheckpointsTable {
  name: string;
  /** Every event at or below this position is reflected in the projection's tables. */
  position: number;
  failed_position: number | null;
  failed_event_type: string | null;
  failure_message: string | null;
  /** Stamped by the database's clock (operational only; no view depends on it). */
  updated_at: string;
}

/** One row per conversation: the full domain state plus the columns the views query. */
export interface ConversationViewsTable {
  conversation_id: string;
  /** The whole ConversationState as canonical JSON (keys sorted), folded with the domain's evolve. */
  state: string;
  status: string;
  queue_id: string;
  channel: string;
  customer_id: string;
  priority: number;
  /** The agent holding it (active, waiting, wrap_up); null when open or closed. */
  agent_id: string | null;
  last_agent_id: string | null;
  /** Active only: awaiting_acceptance or accepted. */
  assignment: string | null;
  status_since: string;
  opened_at: string;
  closed_at: string | null;
  unread_customer_messages: number;
  /** Revision (in its stream) and global position of the last event folded in. */
  revision: number;
  position: number;
}

/** One row per conversation closed while an agent held it (pruned after the retention window). */
export interface ClosedWorkItemsTable {
  conversation_id: string;
  agent_id: string;
  closed_at: string;
  channel: string;
  queue_id: string;
  customer_id: string;
  closed_by_kind: string;
  closed_by_id: string;
  close_reason: string;
  position: number;
}

/** One row per conversation event. */
export interface AuditIndexTable {
  position: number;
  conversation_id: string;
  revision: number;
  type: string;
  at: string;
  actor_kind: string;
  actor_id: string;
  reason: string;
  /** JSON array of the agents the event concerns (the same ids as in audit_index_agents). */
  agent_ids: string;
}

/** Which agents an audit entry concerns: one row per (agent, event). */
export interface AuditIndexAgentsTable {
  agent_id: string;
  position: number;
}

/**
 * The audit projection's own copy of each conversation's state, so it can tell who held a
 * conversation at the time of an event without depending on another projection's progress.
 */
export interface AuditConversationStatesTable {
  conversation_id: string;
  state: string;
  revision: number;
}

/** One row per timer running on a conversation that is not closed (see the domain's runningTimers). */
export interface ConversationTimersTable {
  conversation_id: string;
  /** auto_close, push_reservation, agent_disconnect, customer_disconnect, inactivity. */
  kind: string;
  channel: string;
  /** The status it runs in (auto-close durations depend on it). */
  status: string;
  /** When its condition began, ISO-8601, and the same instant in epoch milliseconds (for range scans). */
  since: string;
  since_ms: number;
}

/** The timer projection's own copy of each conversation's state (removed once closed: closed is final). */
export interface TimerConversationStatesTable {
  conversation_id: string;
  state: string;
  revision: number;
}

/**
 * One row per registered agent (agents-and-queues projection). An agent's queues and claims are
 * in agent_queues and agent_claims; together they are the domain's RegisteredAgent state.
 */
export interface AgentsTable {
  agent_id: string;
  capacity: number;
  /** available, busy, busy_dnd, away, offline. */
  presence: string;
  presence_since: string;
  registered_at: string;
  /** The `at` of the latest AgentCapacityReserved: the round-robin order. */
  last_assigned_at: string | null;
  /** Global position of the last event of the agent's stream folded in. */
  position: number;
}

/** Which queues an agent serves; the agent's queues in join order are ordered by (joined_position, queue_id). */
export interface AgentQueuesTable {
  agent_id: string;
  queue_id: string;
  /** Position of the event that added the queue (registration or AgentJoinedQueue). */
  joined_position: number;
}

/** Capacity one conversation holds on an agent (the domain's CapacityClaim). */
export interface AgentClaimsTable {
  agent_id: string;
  conversation_id: string;
  channel: string;
  queue_id: string;
  units: number;
  /** 1 when reserved by a forced assignment (may exceed capacity), else 0. */
  forced: number;
  /** assigned, wrap_up. */
  holding: string;
  /** wrap_up only: blocks capacity until then; null blocks until the claim is released. */
  blocked_until: string | null;
  since: string;
  conversation_revision: number;
  /** The request (command id) that reserved it. */
  reservation_id: string;
}

/** One row per defined queue, with its current settings. */
export interface QueuesTable {
  queue_id: string;
  name: string;
  /** pick, push. */
  mode: string;
  /** Higher first. */
  priority: number;
  /** highest_free_capacity, round_robin. */
  method: string;
  created_at: string;
  /** Global position of the last event of the queue's stream folded in. */
  position: number;
}

/** The live KPI projection's own copy of each conversation not yet closed, with its queue session. */
export interface KpiConversationsTable {
  conversation_id: string;
  state: string;
  revision: number;
  /** The QueueSessionTrack as JSON. */
  track: string;
  queue_id: string;
  /** Epoch ms since the customer waits for an answer in queue_id; null when nobody waits. */
  waiting_since_ms: number | null;
  /** 1 when pushed to an agent who has not accepted yet (waiting, but not in the queue), else 0. */
  awaiting_acceptance: number;
}

/** One row per thing that happened in a queue (answered, abandoned, transferred, handled); pruned after 48 h. */
export interface KpiQueueFactsTable {
  /** The event's global position, and the fact's number among that event's facts. */
  position: number;
  seq: number;
  queue_id: string;
  kind: string;
  at_ms: number;
  agent_id: string | null;
  channel: string;
  /** Wait (answered, abandoned) or handle time (handled), in ms; null for transfers. */
  duration_ms: number | null;
}

/**
 * The queue facts summed per queue and UTC minute (`minute_ms`, epoch ms of its start); pruned
 * after 48 h. `*_within` count the waits of at most `threshold_ms` (SERVICE_LEVEL_THRESHOLD
 * when written; -1 once facts counted with two thresholds were summed in the row).
 */
export interface KpiQueueMinutesTable {
  queue_id: string;
  minute_ms: number;
  threshold_ms: number;
  answered: number;
  answered_wait_ms: number;
  answered_within: number;
  abandoned: number;
  abandoned_within: number;
  transferred: number;
  handled: number;
  handle_ms: number;
}

/** The live KPI projection's own copy of each registered agent, and its current segment's number. */
export interface KpiAgentsTable {
  agent_id: string;
  state: string;
  revision: number;
  segment_seq: number;
}

/** An agent's time cut into segments (see AgentSegment); ended ones are pruned after 48 h. */
export interface KpiAgentSegmentsTable {
  agent_id: string;
  seq: number;
  started_ms: number;
  /** null for the agent's current segment. */
  ended_ms: number | null;
  presence: string;
  capacity: number;
  used_units: number;
  /** JSON [[epoch ms, units], ...]: wrap-up blocks that stop counting inside the segment. */
  expiries: string;
  /** JSON AgentTotals at started_ms. */
  totals_at_start: string;
}

export interface ReadModelSchema {
  projection_checkpoints: ProjectionCheckpointsTable;
  conversation_views: ConversationViewsTable;
  closed_work_items: ClosedWorkItemsTable;
  audit_index: AuditIndexTable;
  audit_index_agents: AuditIndexAgentsTable;
  audit_conversation_states: AuditConversationStatesTable;
  conversation_timers: ConversationTimersTable;
  timer_conversation_states: TimerConversationStatesTable;
  agents: AgentsTable;
  agent_queues: AgentQueuesTable;
  agent_claims: AgentClaimsTable;
  queues: QueuesTable;
  kpi_conversations: KpiConversationsTable;
  kpi_queue_facts: KpiQueueFactsTable;
  kpi_queue_minutes: KpiQueueMinutesTable;
  kpi_agents: KpiAgentsTable;
  kpi_agent_segments: KpiAgentSegmentsTable;
}

/** The tables a rebuild recreates and swaps in (everything but the checkpoints). */
export const VIEW_TABLES = [
  'conversation_views',
  'closed_work_items',
  'audit_index',
  'audit_index_agents',
  'audit_conversation_states',
  'conversation_timers',
  'timer_conversation_states',
  'agents',
  'agent_queues',
  'agent_claims',
  'queues',
  'kpi_conversations',
  'kpi_queue_facts',
  'kpi_queue_minutes',
  'kpi_agents',
  'kpi_agent_segments',
] as const satisfies readonly (keyof ReadModelSchema)[];

export type ViewTable = (typeof VIEW_TABLES)[number];
