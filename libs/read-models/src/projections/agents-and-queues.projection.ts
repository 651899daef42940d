import {
  agentIdOfStream,
  queueIdOfStream,
  ASSIGNMENT_METHODS,
  QUEUE_MODES,
  evolveAgent,
  evolveQueue,
  initialAgentState,
  initialQueueState,
  isAgentEvent,
  isQueueEvent,
  type AgentEvent,
  type QueueEvent,
  type QueueState,
} from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import type { Insertable, Kysely } from 'kysely';
import type { QueuesTable, ReadModelSchema } from '../database/read-model-schema';
import { agentRows, loadStoredAgents, type StoredAgent } from './agent-rows';
import { checkedChoice, checkedInteger, checkedText } from './checked-values';
import { chunked, isoTime } from './conversation-fold';
import { AGENTS_AND_QUEUES_PROJECTION, type Projection } from './projection';

const ROWS_PER_STATEMENT = 200;
const IDS_PER_STATEMENT = 500;

type DefinedQueue = Extract<QueueState, { status: 'defined' }>;
interface StoredQueue {
  state: DefinedQueue;
  position: number;
}

/**
 * agents, agent_queues, agent_claims (from `agent-<id>` streams) and queues (from `queue-<id>`
 * streams). Each batch is folded with the domain's own evolveAgent and evolveQueue, starting
 * from the stored rows, and every touched agent's rows are written afresh (upsert, then its
 * queues and claims deleted and inserted): the tables hold exactly what folding the log gives,
 * however it is cut into batches, so a rebuild produces the same rows.
 */
export class AgentsAndQueuesProjection implements Projection {
  readonly name = AGENTS_AND_QUEUES_PROJECTION;

  async apply(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
    await applyAgentEvents(trx, events);
    await applyQueueEvents(trx, events);
  }
}

/**
 * Throws on an event type the domain does not know in a stream of the family (as the
 * conversation fold does), and on an event at or below the position already folded in for its
 * stream (the same event applied twice).
 */
function familyEvent<T>(recorded: RecordedEvent, isEvent: (event: { type: string }) => boolean, storedPosition: number | undefined): T {
  if (!isEvent(recorded)) {
    throw new Error(`Unknown event type ${recorded.type} in ${recorded.streamName}@${recorded.revision}`);
  }
  if (storedPosition !== undefined && recorded.position <= storedPosition) {
    throw new Error(
      `${recorded.streamName}@${recorded.revision} (position ${recorded.position}) is already folded in ` +
        `(up to position ${storedPosition}): an event is repeated`,
    );
  }
  return { type: recorded.type, data: recorded.data } as T;
}

async function applyAgentEvents(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
  const ids = [...new Set(events.map((event) => agentIdOfStream(event.streamName)).filter((id) => id !== undefined))];
  if (ids.length === 0) return;
  const current = await loadStoredAgents(trx, ids);
  const touched = new Set<string>();
  for (const recorded of events) {
    const agentId = agentIdOfStream(recorded.streamName);
    if (agentId === undefined) continue;
    const previous = current.get(agentId);
    const event = familyEvent<AgentEvent>(recorded, isAgentEvent, previous?.position);
    let registeredAt: string;
    let joinedBefore: ReadonlyMap<string, number>;
    if (event.type === 'AgentRegistered') {
      // A registration starts the agent afresh: every queue it names joins with it.
      registeredAt = event.data.at;
      joinedBefore = new Map();
    } else if (previous === undefined) {
      // Before its registration evolveAgent ignores an agent's events: so does the projection.
      continue;
    } else {
      registeredAt = previous.registeredAt;
      joinedBefore = previous.joinedPositions;
    }
    const after = evolveAgent(previous?.state ?? initialAgentState(), event);
    if (after.status !== 'registered') continue;
    const joinedPositions = new Map(after.queueIds.map((queueId) => [queueId, joinedBefore.get(queueId) ?? recorded.position]));
    current.set(agentId, { state: after, registeredAt, joinedPositions, position: recorded.position });
    touched.add(agentId);
  }
  if (touched.size === 0) return;

  const rows = [...touched].map((agentId) => agentRows(agentId, current.get(agentId) as StoredAgent));
  for (const chunk of chunked(
    rows.map((row) => row.agent),
    ROWS_PER_STATEMENT,
  )) {
    await trx
      .insertInto('agents')
      .values(chunk)
      .onConflict((conflict) =>
        conflict.column('agent_id').doUpdateSet((eb) => ({
          capacity: eb.ref('excluded.capacity'),
          presence: eb.ref('excluded.presence'),
          presence_since: eb.ref('excluded.presence_since'),
          registered_at: eb.ref('excluded.registered_at'),
          last_assigned_at: eb.ref('excluded.last_assigned_at'),
          position: eb.ref('excluded.position'),
        })),
      )
      .execute();
  }
  for (const chunk of chunked([...touched], IDS_PER_STATEMENT)) {
    await trx.deleteFrom('agent_queues').where('agent_id', 'in', chunk).execute();
    await trx.deleteFrom('agent_claims').where('agent_id', 'in', chunk).execute();
  }
  for (const chunk of chunked(
    rows.flatMap((row) => row.queues),
    ROWS_PER_STATEMENT,
  )) {
    await trx.insertInto('agent_queues').values(chunk).execute();
  }
  for (const chunk of chunked(
    rows.flatMap((row) => row.claims),
    ROWS_PER_STATEMENT,
  )) {
    await trx.insertInto('agent_claims').values(chunk).execute();
  }
}

async function applyQueueEvents(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
  const ids = [...new Set(events.map((event) => queueIdOfStream(event.streamName)).filter((id) => id !== undefined))];
  if (ids.length === 0) return;
  const current = await loadStoredQueues(trx, ids);
  const touched = new Set<string>();
  for (const recorded of events) {
    const queueId = queueIdOfStream(recorded.streamName);
    if (queueId === undefined) continue;
    const previous = current.get(queueId);
    const event = familyEvent<QueueEvent>(recorded, isQueueEvent, previous?.position);
    // Settings changed before the queue was created change nothing, in evolveQueue as here.
    const after = evolveQueue(previous?.state ?? initialQueueState(), event);
    if (after.status !== 'defined') continue;
    current.set(queueId, { state: after, position: recorded.position });
    touched.add(queueId);
  }
  const rows = [...touched].map((queueId) => queueRow(queueId, current.get(queueId) as StoredQueue));
  for (const chunk of chunked(rows, ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('queues')
      .values(chunk)
      .onConflict((conflict) =>
        conflict.column('queue_id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          mode: eb.ref('excluded.mode'),
          priority: eb.ref('excluded.priority'),
          method: eb.ref('excluded.method'),
          created_at: eb.ref('excluded.created_at'),
          position: eb.ref('excluded.position'),
        })),
      )
      .execute();
  }
}

async function loadStoredQueues(trx: Kysely<ReadModelSchema>, queueIds: readonly string[]): Promise<Map<string, StoredQueue>> {
  const stored = new Map<string, StoredQueue>();
  for (const chunk of chunked(queueIds, IDS_PER_STATEMENT)) {
    const rows = await trx.selectFrom('queues').selectAll().where('queue_id', 'in', chunk).execute();
    for (const row of rows) {
      stored.set(row.queue_id, {
        state: {
          status: 'defined',
          id: row.queue_id,
          createdAt: row.created_at,
          name: row.name,
          mode: row.mode as DefinedQueue['mode'],
          priority: Number(row.priority),
          method: row.method as DefinedQueue['method'],
        },
        position: Number(row.position),
      });
    }
  }
  return stored;
}

function queueRow(queueId: string, { state, position }: StoredQueue): Insertable<QueuesTable> {
  const where = `queue ${queueId}`;
  return {
    queue_id: queueId,
    name: checkedText(state.name, `name of ${where}`),
    mode: checkedChoice(state.mode, QUEUE_MODES, `mode of ${where}`),
    priority: checkedInteger(state.priority, `priority of ${where}`),
    method: checkedChoice(state.method, ASSIGNMENT_METHODS, `method of ${where}`),
    created_at: isoTime(state.createdAt, `creation time of ${where}`),
    position,
  };
}
