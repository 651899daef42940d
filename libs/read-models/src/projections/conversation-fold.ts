import {
  conversationIdOfStream,
  evolve,
  initialConversationState,
  requireNextRevision,
  toConversationEvent,
  type ConversationEvent,
  type ConversationState,
  type ExistingConversationState,
} from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import type { Kysely } from 'kysely';
import type { ReadModelSchema } from '../database/read-model-schema';

/** A conversation's state as a projection stored it, with the revision of the last event folded in. */
export interface StoredConversation {
  state: ConversationState;
  revision: number;
}

/** One conversation event with the state just before and just after it. */
export interface FoldStep {
  recorded: RecordedEvent;
  event: ConversationEvent;
  conversationId: string;
  before: ConversationState;
  after: ExistingConversationState;
}

export interface FoldResult {
  steps: FoldStep[];
  /** The state of every touched conversation after the batch, with its last revision and position. */
  latest: Map<string, { state: ExistingConversationState; revision: number; position: number }>;
}

/** Distinct conversation ids of the conversation events in a batch (other streams ignored). */
export function conversationIdsOf(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    const id = conversationIdOfStream(event.streamName);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

/**
 * Folds a batch with the domain's evolve, in position order, starting from the stored states.
 * Events of other streams are skipped. Throws (so the projection stops there) on an unknown
 * event type in a conversation stream, on a revision that does not follow the stored one (a
 * missing or repeated event), and on anything evolve refuses.
 */
export function foldConversationEvents(events: readonly RecordedEvent[], stored: ReadonlyMap<string, StoredConversation>): FoldResult {
  const current = new Map<string, StoredConversation>(stored);
  const steps: FoldStep[] = [];
  const latest: FoldResult['latest'] = new Map();
  for (const recorded of events) {
    const conversationId = conversationIdOfStream(recorded.streamName);
    if (conversationId === undefined) continue;
    const event = toConversationEvent(recorded);
    const previous = current.get(conversationId) ?? { state: initialConversationState(), revision: -1 };
    requireNextRevision(recorded, previous.revision);
    const after = evolve(previous.state, event);
    if (after.status === 'none') {
      throw new Error(`${recorded.type} left ${recorded.streamName} without a conversation`);
    }
    steps.push({ recorded, event, conversationId, before: previous.state, after });
    current.set(conversationId, { state: after, revision: recorded.revision });
    latest.set(conversationId, { state: after, revision: recorded.revision, position: recorded.position });
  }
  return { steps, latest };
}

/** JSON with object keys sorted and undefined members dropped: the same state always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}

/** Parses a stored state; a row that is not a conversation state is a corrupt view and stops the projection. */
function parseStoredState(text: string, conversationId: string): ConversationState {
  const state = JSON.parse(text) as ConversationState;
  if (state === null || typeof state !== 'object' || typeof state.status !== 'string') {
    throw new Error(`Stored state of conversation ${conversationId} is not a conversation state`);
  }
  return state;
}

/** An event time as canonical ISO-8601 (UTC, milliseconds), so text order is time order in both databases. */
export function isoTime(value: unknown, what: string): string {
  const millis = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(millis)) throw new Error(`${what} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  return new Date(millis).toISOString();
}

/** Splits a list into chunks, to stay under the databases' bound-parameter limits. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

const IDS_PER_LOOKUP = 500;
const STATES_PER_STATEMENT = 200;

/** The tables in which a projection keeps its own copy of each conversation's folded state. */
type StoredStatesTable = 'conversation_views' | 'audit_conversation_states' | 'timer_conversation_states';

/**
 * Loads the folded states a projection keeps for these conversations (each projection keeps its
 * own copy, so one never depends on another's progress).
 */
export async function loadStoredStates(
  trx: Kysely<ReadModelSchema>,
  table: StoredStatesTable,
  ids: string[],
): Promise<Map<string, StoredConversation>> {
  const stored = new Map<string, StoredConversation>();
  for (const chunk of chunked(ids, IDS_PER_LOOKUP)) {
    const rows = await trx
      .selectFrom(table)
      .select(['conversation_id', 'state', 'revision'])
      .where('conversation_id', 'in', chunk)
      .execute();
    for (const row of rows) {
      stored.set(row.conversation_id, {
        state: parseStoredState(row.state, row.conversation_id),
        revision: Number(row.revision),
      });
    }
  }
  return stored;
}

/** Stores the folded states of a batch in a projection's own states table (insert or replace). */
export async function saveStoredStates(
  trx: Kysely<ReadModelSchema>,
  table: Exclude<StoredStatesTable, 'conversation_views'>,
  states: Iterable<[string, { state: ExistingConversationState; revision: number }]>,
): Promise<void> {
  const rows = [...states].map(([conversationId, { state, revision }]) => ({
    conversation_id: conversationId,
    state: canonicalJson(state),
    revision,
  }));
  for (const chunk of chunked(rows, STATES_PER_STATEMENT)) {
    await trx
      .insertInto(table)
      .values(chunk)
      .onConflict((conflict) =>
        conflict.column('conversation_id').doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          revision: eb.ref('excluded.revision'),
        })),
      )
      .execute();
  }
}
