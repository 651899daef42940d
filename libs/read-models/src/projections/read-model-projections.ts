import { AgentsAndQueuesProjection } from './agents-and-queues.projection';
import { AuditIndexProjection } from './audit-index.projection';
import { ConversationTimersProjection } from './conversation-timers.projection';
import { ConversationViewsProjection } from './conversation-views.projection';
import { LiveKpisProjection } from './live-kpis/live-kpis.projection';
import type { Projection } from './projection';

/** What the projections depend on beyond the log (the service's configuration). */
export interface ReadModelProjectionOptions {
  /** SERVICE_LEVEL_THRESHOLD: the live KPIs' minute totals count the waits answered or abandoned within it. */
  serviceLevelThresholdMs?: number;
}

export const DEFAULT_SERVICE_LEVEL_THRESHOLD_MS = 20_000;

/** The projections that keep every read model of this library (the set a rebuild rebuilds). */
export const createReadModelProjections = (options: ReadModelProjectionOptions = {}): Projection[] => [
  new ConversationViewsProjection(),
  new AuditIndexProjection(),
  new ConversationTimersProjection(),
  new AgentsAndQueuesProjection(),
  new LiveKpisProjection(options.serviceLevelThresholdMs ?? DEFAULT_SERVICE_LEVEL_THRESHOLD_MS),
];
