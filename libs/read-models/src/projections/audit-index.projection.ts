import { holderOf } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import type { Insertable, Kysely } from 'kysely';
import type { AuditIndexAgentsTable, AuditIndexTable, ReadModelSchema } from '../database/read-model-schema';
import {
  loadStoredStates,
  saveStoredStates,
  chunked,
  conversationIdsOf,
  foldConversationEvents,
  isoTime,
  type FoldStep,
} from './conversation-fold';
import { AUDIT_INDEX_PROJECTION, type Projection } from './projection';

const ROWS_PER_STATEMENT = 200;

/** Event fields that name an agent the event concerns (holder, target, source, consultant, previous owner). */
const AGENT_FIELDS = ['agentId', 'toAgentId', 'fromAgentId', 'consultantId', 'previousAgentId'] as const;

/**
 * Every agent an event concerns: the acting agent, the holder just before and just after it
 * (so a customer message or a supervisor's force close shows up under the agent holding the
 * conversation), and every agent the event names (pushed-to agent, transfer target and
 * source, consultant).
 */
export function agentsConcernedBy(step: Pick<FoldStep, 'event' | 'before' | 'after'>): string[] {
  const agents = new Set<string>();
  const { data } = step.event;
  if (data.by?.kind === 'agent' && typeof data.by.id === 'string') agents.add(data.by.id);
  const before = holderOf(step.before);
  const after = holderOf(step.after);
  if (before !== undefined) agents.add(before);
  if (after !== undefined) agents.add(after);
  for (const field of AGENT_FIELDS) {
    const value = (data as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.length > 0) agents.add(value);
  }
  return [...agents].sort();
}

/** audit_index: one row per conversation event, findable by conversation, agent and time. */
export class AuditIndexProjection implements Projection {
  readonly name = AUDIT_INDEX_PROJECTION;

  async apply(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
    const ids = conversationIdsOf(events);
    if (ids.length === 0) return;
    const stored = await loadStoredStates(trx, 'audit_conversation_states', ids);
    const { steps, latest } = foldConversationEvents(events, stored);

    const entries: Insertable<AuditIndexTable>[] = [];
    const agentRows: Insertable<AuditIndexAgentsTable>[] = [];
    for (const step of steps) {
      const { recorded, event, conversationId } = step;
      const agents = agentsConcernedBy(step);
      const { by, reason } = event.data;
      entries.push({
        position: recorded.position,
        conversation_id: conversationId,
        revision: recorded.revision,
        type: recorded.type,
        at: isoTime(event.data.at, `at of ${recorded.streamName}@${recorded.revision}`),
        actor_kind: String(by?.kind ?? ''),
        actor_id: String(by?.id ?? ''),
        reason: String(reason ?? ''),
        agent_ids: JSON.stringify(agents),
      });
      for (const agentId of agents) agentRows.push({ agent_id: agentId, position: recorded.position });
    }
    // Plain inserts: an event indexed twice violates the primary key instead of passing silently.
    for (const rows of chunked(entries, ROWS_PER_STATEMENT)) {
      await trx.insertInto('audit_index').values(rows).execute();
    }
    for (const rows of chunked(agentRows, ROWS_PER_STATEMENT)) {
      await trx.insertInto('audit_index_agents').values(rows).execute();
    }
    await saveStoredStates(trx, 'audit_conversation_states', latest);
  }
}
