import { sql, type Kysely } from 'kysely';

/** What these functions use of a database: its schema (DDL) builder, whatever tables it holds now. */
type SchemaBuilder = Pick<Kysely<unknown>, 'schema'>;

/**
 * The layout of the view tables, as DDL that can be pointed at other table names (a rebuild
 * runs it through TableRenamePlugin to create the `_next` tables).
 *
 * Index names must be unique per database (SQLite) or schema (PostgreSQL), and renaming a
 * table keeps its indexes' names, so every creation but the first tags its index names
 * (`conversation_views_queue_idx_1f3a9c0d`). A migration that changes an index finds it by
 * table, not by name.
 *
 * Versioning rule: `createViewTablesV1` is frozen (migration 001 runs it). When a migration
 * changes a view table, write `createViewTablesV2` with the resulting layout and point
 * `createViewTables` at it; the migrations spec checks that a migrated database and a rebuilt
 * one have the same columns.
 */
export async function createViewTablesV1(db: SchemaBuilder, indexTag = ''): Promise<void> {
  const index = (name: string) => (indexTag === '' ? name : `${name}_${indexTag}`);

  await db.schema
    .createTable('conversation_views')
    .ifNotExists()
    .addColumn('conversation_id', 'text', (column) => column.primaryKey())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('queue_id', 'text', (column) => column.notNull())
    .addColumn('channel', 'text', (column) => column.notNull())
    .addColumn('customer_id', 'text', (column) => column.notNull())
    .addColumn('priority', 'integer', (column) => column.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('last_agent_id', 'text')
    .addColumn('assignment', 'text')
    .addColumn('status_since', 'text', (column) => column.notNull())
    .addColumn('opened_at', 'text', (column) => column.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('unread_customer_messages', 'integer', (column) => column.notNull())
    .addColumn('revision', 'bigint', (column) => column.notNull())
    .addColumn('position', 'bigint', (column) => column.notNull())
    .execute();
  // Queue view (open items of a queue in routing order) and, by its prefix, counts per queue and status.
  await db.schema
    .createIndex(index('conversation_views_queue_idx'))
    .ifNotExists()
    .on('conversation_views')
    .columns(['queue_id', 'status', 'priority desc', 'status_since', 'conversation_id'])
    .execute();
  // My work items: agent_id is set only while an agent holds it (active, waiting, wrap_up), so
  // the filter needs no status and the index hands rows over in page order.
  await db.schema
    .createIndex(index('conversation_views_agent_idx'))
    .ifNotExists()
    .on('conversation_views')
    .columns(['agent_id', 'status_since', 'conversation_id'])
    .execute();

  await db.schema
    .createTable('closed_work_items')
    .ifNotExists()
    .addColumn('conversation_id', 'text', (column) => column.primaryKey())
    .addColumn('agent_id', 'text', (column) => column.notNull())
    .addColumn('closed_at', 'text', (column) => column.notNull())
    .addColumn('channel', 'text', (column) => column.notNull())
    .addColumn('queue_id', 'text', (column) => column.notNull())
    .addColumn('customer_id', 'text', (column) => column.notNull())
    .addColumn('closed_by_kind', 'text', (column) => column.notNull())
    .addColumn('closed_by_id', 'text', (column) => column.notNull())
    .addColumn('close_reason', 'text', (column) => column.notNull())
    .addColumn('position', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex(index('closed_work_items_agent_idx'))
    .ifNotExists()
    .on('closed_work_items')
    .columns(['agent_id', 'closed_at', 'conversation_id'])
    .execute();
  // Pruning by age.
  await db.schema.createIndex(index('closed_work_items_closed_at_idx')).ifNotExists().on('closed_work_items').column('closed_at').execute();

  await db.schema
    .createTable('audit_index')
    .ifNotExists()
    .addColumn('position', 'bigint', (column) => column.primaryKey())
    .addColumn('conversation_id', 'text', (column) => column.notNull())
    .addColumn('revision', 'bigint', (column) => column.notNull())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('at', 'text', (column) => column.notNull())
    .addColumn('actor_kind', 'text', (column) => column.notNull())
    .addColumn('actor_id', 'text', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('agent_ids', 'text', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex(index('audit_index_conversation_idx'))
    .ifNotExists()
    .on('audit_index')
    .columns(['conversation_id', 'position'])
    .execute();
  await db.schema.createIndex(index('audit_index_at_idx')).ifNotExists().on('audit_index').columns(['at', 'position']).execute();

  // The primary key (agent_id, position) is the index for "every event this agent was involved in".
  await db.schema
    .createTable('audit_index_agents')
    .ifNotExists()
    .addColumn('agent_id', 'text', (column) => column.notNull())
    .addColumn('position', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint(index('audit_index_agents_pk'), ['agent_id', 'position'])
    .execute();

  await db.schema
    .createTable('audit_conversation_states')
    .ifNotExists()
    .addColumn('conversation_id', 'text', (column) => column.primaryKey())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('revision', 'bigint', (column) => column.notNull())
    .execute();
}

/**
 * The timers every open conversation has running (migration 002): what the timer scheduler
 * sweeps for due ones, and the timer projection's own copy of each live conversation's state.
 */
export async function createTimerTables(db: SchemaBuilder, indexTag = ''): Promise<void> {
  const index = (name: string) => (indexTag === '' ? name : `${name}_${indexTag}`);

  await db.schema
    .createTable('conversation_timers')
    .ifNotExists()
    .addColumn('conversation_id', 'text', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('channel', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('since', 'text', (column) => column.notNull())
    .addColumn('since_ms', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint(index('conversation_timers_pk'), ['conversation_id', 'kind'])
    .execute();
  // Durations depend on (kind, channel, status), so "due" is one range per such group.
  await db.schema
    .createIndex(index('conversation_timers_due_idx'))
    .ifNotExists()
    .on('conversation_timers')
    .columns(['kind', 'channel', 'status', 'since_ms'])
    .execute();

  await db.schema
    .createTable('timer_conversation_states')
    .ifNotExists()
    .addColumn('conversation_id', 'text', (column) => column.primaryKey())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('revision', 'bigint', (column) => column.notNull())
    .execute();
}

/**
 * Agents, the queues they serve, the capacity conversations hold on them, and the queues'
 * settings (migration 003): the capacity board, the queue list and what the push router reads.
 */
export async function createAgentAndQueueTables(db: SchemaBuilder, indexTag = ''): Promise<void> {
  const index = (name: string) => (indexTag === '' ? name : `${name}_${indexTag}`);

  await db.schema
    .createTable('agents')
    .ifNotExists()
    .addColumn('agent_id', 'text', (column) => column.primaryKey())
    .addColumn('capacity', 'integer', (column) => column.notNull())
    .addColumn('presence', 'text', (column) => column.notNull())
    .addColumn('presence_since', 'text', (column) => column.notNull())
    .addColumn('registered_at', 'text', (column) => column.notNull())
    .addColumn('last_assigned_at', 'text')
    .addColumn('position', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('agent_queues')
    .ifNotExists()
    .addColumn('agent_id', 'text', (column) => column.notNull())
    .addColumn('queue_id', 'text', (column) => column.notNull())
    .addColumn('joined_position', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint(index('agent_queues_pk'), ['agent_id', 'queue_id'])
    .execute();
  // The agents serving a queue (router, agent counts); the primary key answers "an agent's queues".
  await db.schema.createIndex(index('agent_queues_queue_idx')).ifNotExists().on('agent_queues').columns(['queue_id', 'agent_id']).execute();

  await db.schema
    .createTable('agent_claims')
    .ifNotExists()
    .addColumn('agent_id', 'text', (column) => column.notNull())
    .addColumn('conversation_id', 'text', (column) => column.notNull())
    .addColumn('channel', 'text', (column) => column.notNull())
    .addColumn('queue_id', 'text', (column) => column.notNull())
    .addColumn('units', 'integer', (column) => column.notNull())
    .addColumn('forced', 'integer', (column) => column.notNull())
    .addColumn('holding', 'text', (column) => column.notNull())
    .addColumn('blocked_until', 'text')
    .addColumn('since', 'text', (column) => column.notNull())
    .addColumn('conversation_revision', 'bigint', (column) => column.notNull())
    .addColumn('reservation_id', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint(index('agent_claims_pk'), ['agent_id', 'conversation_id'])
    .execute();

  await db.schema
    .createTable('queues')
    .ifNotExists()
    .addColumn('queue_id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('mode', 'text', (column) => column.notNull())
    .addColumn('priority', 'integer', (column) => column.notNull())
    .addColumn('method', 'text', (column) => column.notNull())
    .addColumn('created_at', 'text', (column) => column.notNull())
    .addColumn('position', 'bigint', (column) => column.notNull())
    .execute();
  // The queue list and the router's queues, both in (priority desc, queue id) order.
  await db.schema.createIndex(index('queues_priority_idx')).ifNotExists().on('queues').columns(['priority desc', 'queue_id']).execute();
}

/** V1 plus the timer tables. */
export async function createViewTablesV2(db: SchemaBuilder, indexTag = ''): Promise<void> {
  await createViewTablesV1(db, indexTag);
  await createTimerTables(db, indexTag);
}

/** V2 plus the agent and queue tables. */
export async function createViewTablesV3(db: SchemaBuilder, indexTag = ''): Promise<void> {
  await createViewTablesV2(db, indexTag);
  await createAgentAndQueueTables(db, indexTag);
}

/**
 * What the live KPIs are computed from (migration 004): each live conversation's queue session,
 * what happened in each queue and when, and each agent's time as segments with running totals.
 */
export async function createLiveKpiTables(db: SchemaBuilder, indexTag = ''): Promise<void> {
  const index = (name: string) => (indexTag === '' ? name : `${name}_${indexTag}`);

  await db.schema
    .createTable('kpi_conversations')
    .ifNotExists()
    .addColumn('conversation_id', 'text', (column) => column.primaryKey())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('revision', 'bigint', (column) => column.notNull())
    .addColumn('track', 'text', (column) => column.notNull())
    .addColumn('queue_id', 'text', (column) => column.notNull())
    .addColumn('waiting_since_ms', 'bigint')
    .addColumn('awaiting_acceptance', 'integer', (column) => column.notNull())
    .execute();
  // Who waits in each queue now, and since when (the longest wait is the first row).
  await db.schema
    .createIndex(index('kpi_conversations_waiting_idx'))
    .ifNotExists()
    .on('kpi_conversations')
    .columns(['queue_id', 'waiting_since_ms'])
    .execute();

  await db.schema
    .createTable('kpi_queue_facts')
    .ifNotExists()
    .addColumn('position', 'bigint', (column) => column.notNull())
    .addColumn('seq', 'integer', (column) => column.notNull())
    .addColumn('queue_id', 'text', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('at_ms', 'bigint', (column) => column.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('channel', 'text', (column) => column.notNull())
    .addColumn('duration_ms', 'bigint')
    .addPrimaryKeyConstraint(index('kpi_queue_facts_pk'), ['position', 'seq'])
    .execute();
  // One queue's window edges; every queue's (and pruning by age); agents' handled items in a window.
  await db.schema
    .createIndex(index('kpi_queue_facts_queue_idx'))
    .ifNotExists()
    .on('kpi_queue_facts')
    .columns(['queue_id', 'at_ms'])
    .execute();
  await db.schema
    .createIndex(index('kpi_queue_facts_at_idx'))
    .ifNotExists()
    .on('kpi_queue_facts')
    .columns(['at_ms', 'queue_id', 'kind', 'duration_ms'])
    .execute();
  await db.schema
    .createIndex(index('kpi_queue_facts_agent_idx'))
    .ifNotExists()
    .on('kpi_queue_facts')
    .columns(['agent_id', 'kind', 'at_ms', 'duration_ms'])
    .execute();

  // The same facts summed per queue and minute, so a long window reads minutes, not facts.
  await db.schema
    .createTable('kpi_queue_minutes')
    .ifNotExists()
    .addColumn('queue_id', 'text', (column) => column.notNull())
    .addColumn('minute_ms', 'bigint', (column) => column.notNull())
    .addColumn('threshold_ms', 'bigint', (column) => column.notNull())
    .addColumn('answered', 'integer', (column) => column.notNull())
    .addColumn('answered_wait_ms', 'bigint', (column) => column.notNull())
    .addColumn('answered_within', 'integer', (column) => column.notNull())
    .addColumn('abandoned', 'integer', (column) => column.notNull())
    .addColumn('abandoned_within', 'integer', (column) => column.notNull())
    .addColumn('transferred', 'integer', (column) => column.notNull())
    .addColumn('handled', 'integer', (column) => column.notNull())
    .addColumn('handle_ms', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint(index('kpi_queue_minutes_pk'), ['queue_id', 'minute_ms'])
    .execute();
  await db.schema.createIndex(index('kpi_queue_minutes_minute_idx')).ifNotExists().on('kpi_queue_minutes').column('minute_ms').execute();

  await db.schema
    .createTable('kpi_agents')
    .ifNotExists()
    .addColumn('agent_id', 'text', (column) => column.primaryKey())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('revision', 'bigint', (column) => column.notNull())
    .addColumn('segment_seq', 'integer', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('kpi_agent_segments')
    .ifNotExists()
    .addColumn('agent_id', 'text', (column) => column.notNull())
    .addColumn('seq', 'integer', (column) => column.notNull())
    .addColumn('started_ms', 'bigint', (column) => column.notNull())
    .addColumn('ended_ms', 'bigint')
    .addColumn('presence', 'text', (column) => column.notNull())
    .addColumn('capacity', 'integer', (column) => column.notNull())
    .addColumn('used_units', 'integer', (column) => column.notNull())
    .addColumn('expiries', 'text', (column) => column.notNull())
    .addColumn('totals_at_start', 'text', (column) => column.notNull())
    .addPrimaryKeyConstraint(index('kpi_agent_segments_pk'), ['agent_id', 'seq'])
    .execute();
  // The segment an instant falls in: the last one of the agent started at or before it.
  await db.schema
    .createIndex(index('kpi_agent_segments_start_idx'))
    .ifNotExists()
    .on('kpi_agent_segments')
    .columns(['agent_id', 'started_ms', 'seq'])
    .execute();
  await db.schema.createIndex(index('kpi_agent_segments_ended_idx')).ifNotExists().on('kpi_agent_segments').column('ended_ms').execute();
}

/** V3 plus the live KPI tables. */
export async function createViewTablesV4(db: SchemaBuilder, indexTag = ''): Promise<void> {
  await createViewTablesV3(db, indexTag);
  await createLiveKpiTables(db, indexTag);
}

/**
 * The supervisor's Ongoing conversations (migration 005): conversations not closed, longest in
 * their status first. Partial, so the closed rows conversation_views keeps are not in it and a
 * page of the list reads only the rows it answers with.
 */
export async function createOngoingConversationsIndex(db: SchemaBuilder, indexTag = ''): Promise<void> {
  const index = (name: string) => (indexTag === '' ? name : `${name}_${indexTag}`);
  await db.schema
    .createIndex(index('conversation_views_ongoing_idx'))
    .ifNotExists()
    .on('conversation_views')
    .columns(['status_since', 'conversation_id'])
    .where(sql.ref('status'), '<>', sql.lit('closed'))
    .execute();
}

/** V4 plus the Ongoing conversations index. */
export async function createViewTablesV5(db: SchemaBuilder, indexTag = ''): Promise<void> {
  await createViewTablesV4(db, indexTag);
  await createOngoingConversationsIndex(db, indexTag);
}

/** The current layout (what migrating to latest produces). */
export const createViewTables = createViewTablesV5;
