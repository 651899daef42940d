export * from './read-models.types';
export { openReadModelDatabase } from './database/read-model-database';
export type { ReadModelDatabase, ReadModelDatabaseKind } from './database/read-model-database';
export type {
  ReadModelSchema,
  ProjectionCheckpointsTable,
  ConversationViewsTable,
  ClosedWorkItemsTable,
  AuditIndexTable,
  AuditIndexAgentsTable,
  AuditConversationStatesTable,
  ConversationTimersTable,
  TimerConversationStatesTable,
  AgentsTable,
  AgentQueuesTable,
  AgentClaimsTable,
  QueuesTable,
} from './database/read-model-schema';
export { runInWriteTransaction } from './database/write-transaction';
export { migrateToLatest, pendingMigrations, READ_MODEL_MIGRATIONS, ReadModelMigrationError } from './migrations/migrate';
export type { Projection } from './projections/projection';
export {
  AGENTS_AND_QUEUES_PROJECTION,
  AUDIT_INDEX_PROJECTION,
  CONVERSATION_TIMERS_PROJECTION,
  CONVERSATION_VIEWS_PROJECTION,
  LIVE_KPIS_PROJECTION,
} from './projections/projection';
export { AgentsAndQueuesProjection } from './projections/agents-and-queues.projection';
export { ConversationTimersProjection } from './projections/conversation-timers.projection';
export { ConversationViewsProjection } from './projections/conversation-views.projection';
export { AuditIndexProjection } from './projections/audit-index.projection';
export {
  createReadModelProjections,
  DEFAULT_SERVICE_LEVEL_THRESHOLD_MS,
  type ReadModelProjectionOptions,
} from './projections/read-model-projections';
export { Projector, DEFAULT_PROJECTOR_BATCH_SIZE } from './projector/projector';
export { CheckpointWatcher } from './projector/checkpoint-watcher';
export { PositionWaiters } from './projector/position-waiters';
export type { ProjectorHost, ProjectorLogger, ProjectorOptions } from './projector/projector';
export { ReadModelQueries, CLOSED_WORK_ITEMS_WINDOW_MS } from './queries/read-model-queries';
export {
  OngoingConversationQueries,
  ONGOING_STATUSES,
  type OngoingConversation,
  type OngoingConversationsFilter,
  type OngoingStatus,
} from './queries/ongoing-conversations';
export { TimerQueries, cursorAfter } from './queries/timer-queries';
export { WorkDistributionQueries } from './queries/work-distribution-queries';
export type { DueTimerCutoff, DueTimersCursor, StoredTimer } from './queries/timer-queries';
export {
  KPI_HISTORY_RETENTION_MS,
  NOT_PRUNING,
  pruneClosedWorkItems,
  pruneExpiredViewRows,
  pruneKpiHistory,
  pruneOn,
  type ClosedWorkItemsPruner,
} from './maintenance/prune-closed-work-items';
export { LiveKpisProjection } from './projections/live-kpis/live-kpis.projection';
export {
  ABANDONED_IN_SERVICE_LEVEL,
  LiveKpiQueries,
  type AbandonedInServiceLevel,
  type AgentKpis,
  type KpiWindow,
  type QueueKpis,
  type ServiceLevelPolicy,
} from './queries/live-kpi-queries';
export { rebuildReadModels, RebuildError, DEFAULT_REBUILD_BATCH_SIZE } from './rebuild/rebuild-read-models';
export type { RebuildOptions, RebuildResult } from './rebuild/rebuild-read-models';
