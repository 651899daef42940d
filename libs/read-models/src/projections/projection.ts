import type { RecordedEvent } from '@lib/event-store';
import type { Kysely } from 'kysely';
import type { ReadModelSchema } from '../database/read-model-schema';

/**
 * One family of read-model tables kept from the event log. `apply` receives events in
 * position order, every event of the log (it ignores those it has no use for), inside the
 * transaction that also moves the projection's checkpoint: it must write through `trx` only.
 * Throwing means "this cannot be applied": the projector then finds the exact event and stops
 * the projection there.
 */
export interface Projection {
  readonly name: string;
  apply(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void>;
}

export const CONVERSATION_VIEWS_PROJECTION = 'conversation_views';
export const AUDIT_INDEX_PROJECTION = 'audit_index';
export const CONVERSATION_TIMERS_PROJECTION = 'conversation_timers';
export const AGENTS_AND_QUEUES_PROJECTION = 'agents_and_queues';
export const LIVE_KPIS_PROJECTION = 'live_kpis';
