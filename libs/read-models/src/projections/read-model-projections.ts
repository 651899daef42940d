import { AgentsAndQueuesProjection } from './agents-and-queues.projection';
import { AuditIndexProjection } from './audit-index.projection';
import { ConversationTimersProjection } from './conversation-timers.projection';
import { ConversationViewsProjection } from './conversation-views.projection';
import { LiveKpisProjection } from './live-kpis/live-kpis.projection';
import type { Projection } from './projection';

/** The projections that keep every read model of this library (the set a rebuild rebuilds). */
export const createReadModelProjections = (): Projection[] => [
  new ConversationViewsProjection(),
  new AuditIndexProjection(),
  new ConversationTimersProjection(),
  new AgentsAndQueuesProjection(),
  new LiveKpisProjection(),
];
