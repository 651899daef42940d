import {
  agentIdOfStream,
  evolveAgent,
  initialAgentState,
  requireNextRevision,
  toAgentEvent,
  type AgentState,
  type ExistingConversationState,
} from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import type { ExpressionBuilder, Insertable, Kysely, OnConflictDatabase, OnConflictTables } from 'kysely';
import type { KpiAgentSegmentsTable, KpiQueueFactsTable, KpiQueueMinutesTable, ReadModelSchema } from '../../database/read-model-schema';
import { canonicalJson, chunked, conversationIdsOf, foldConversationEvents, type StoredConversation } from '../conversation-fold';
import { LIVE_KPIS_PROJECTION, type Projection } from '../projection';
import { segmentOf, segmentShape, totalsAt, zeroTotals, type AgentSegment, type AgentTotals } from './agent-segments';
import { advanceQueueSession, awaitsAnswer, newQueueSessionTrack, type QueueFactKind, type QueueSessionTrack } from './queue-session';

const IDS_PER_STATEMENT = 500;
const ROWS_PER_STATEMENT = 100;

/**
 * The tables the live KPIs (GET /api/stats/...) are read from, so a request never scans the
 * log: each live conversation's queue session (who waits where, since when), one row per thing
 * that happened in a queue (answered, abandoned, transferred, handled) with its time and
 * duration, and each agent's time as segments carrying running totals (time in each presence,
 * capacity used and available). Folded with the domain's evolve and evolveAgent.
 */
export class LiveKpisProjection implements Projection {
  readonly name = LIVE_KPIS_PROJECTION;

  /** @param thresholdMs SERVICE_LEVEL_THRESHOLD: the minute totals count the waits within it. */
  constructor(private readonly thresholdMs: number) {
    if (!Number.isSafeInteger(thresholdMs) || thresholdMs <= 0)
      throw new RangeError(`thresholdMs must be a positive integer, got ${thresholdMs}`);
  }

  async apply(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
    const facts = await applyConversationEvents(trx, events);
    await addToMinuteTotals(trx, facts, this.thresholdMs);
    await applyAgentEvents(trx, events);
  }
}

interface TrackedConversation extends StoredConversation {
  track: QueueSessionTrack;
}

/** Folds the batch's conversation events; answers the queue facts written. */
async function applyConversationEvents(
  trx: Kysely<ReadModelSchema>,
  events: readonly RecordedEvent[],
): Promise<Insertable<KpiQueueFactsTable>[]> {
  const ids = conversationIdsOf(events);
  if (ids.length === 0) return [];
  const stored = new Map<string, TrackedConversation>();
  for (const chunk of chunked(ids, IDS_PER_STATEMENT)) {
    const rows = await trx
      .selectFrom('kpi_conversations')
      .select(['conversation_id', 'state', 'revision', 'track'])
      .where('conversation_id', 'in', chunk)
      .execute();
    for (const row of rows) {
      stored.set(row.conversation_id, {
        state: JSON.parse(row.state) as ExistingConversationState,
        revision: Number(row.revision),
        track: JSON.parse(row.track) as QueueSessionTrack,
      });
    }
  }
  const { steps, latest } = foldConversationEvents(events, stored);

  const tracks = new Map<string, QueueSessionTrack>([...stored].map(([id, { track }]) => [id, track]));
  const facts: Insertable<KpiQueueFactsTable>[] = [];
  let factPosition = -1;
  let factSeq = 0;
  for (const { recorded, event, conversationId, before, after } of steps) {
    const advanced = advanceQueueSession(tracks.get(conversationId) ?? newQueueSessionTrack(), event, before, after);
    tracks.set(conversationId, advanced.track);
    for (const fact of advanced.facts) {
      factSeq = recorded.position === factPosition ? factSeq + 1 : 0;
      factPosition = recorded.position;
      facts.push({
        position: recorded.position,
        seq: factSeq,
        queue_id: fact.queueId,
        kind: fact.kind,
        at_ms: fact.atMs,
        agent_id: fact.agentId,
        channel: fact.channel,
        duration_ms: fact.durationMs,
      });
    }
  }

  const live = [];
  const closed: string[] = [];
  for (const [conversationId, { state, revision }] of latest) {
    if (state.status === 'closed') {
      closed.push(conversationId);
      continue;
    }
    const track = tracks.get(conversationId) ?? newQueueSessionTrack();
    live.push({
      conversation_id: conversationId,
      state: canonicalJson(state),
      revision,
      track: JSON.stringify(track),
      queue_id: state.queueId,
      waiting_since_ms: awaitsAnswer(state) ? track.waitingSinceMs : null,
      awaiting_acceptance: state.status === 'active' && state.assignment === 'awaiting_acceptance' ? 1 : 0,
    });
  }
  for (const chunk of chunked(live, ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('kpi_conversations')
      .values(chunk)
      .onConflict((conflict) =>
        conflict.column('conversation_id').doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          revision: eb.ref('excluded.revision'),
          track: eb.ref('excluded.track'),
          queue_id: eb.ref('excluded.queue_id'),
          waiting_since_ms: eb.ref('excluded.waiting_since_ms'),
          awaiting_acceptance: eb.ref('excluded.awaiting_acceptance'),
        })),
      )
      .execute();
  }
  // Closed is final: nothing is appended after it, so its state is no longer needed.
  for (const chunk of chunked(closed, IDS_PER_STATEMENT)) {
    await trx.deleteFrom('kpi_conversations').where('conversation_id', 'in', chunk).execute();
  }
  for (const chunk of chunked(facts, ROWS_PER_STATEMENT)) {
    await trx.insertInto('kpi_queue_facts').values(chunk).execute();
  }
  return facts;
}

const MINUTE_MS = 60_000;

/** Adds the facts to their queue's minute rows (created at zero when new). */
async function addToMinuteTotals(
  trx: Kysely<ReadModelSchema>,
  facts: readonly Insertable<KpiQueueFactsTable>[],
  thresholdMs: number,
): Promise<void> {
  const minutes = new Map<string, Insertable<KpiQueueMinutesTable>>();
  for (const fact of facts) {
    const minuteMs = Math.floor(Number(fact.at_ms) / MINUTE_MS) * MINUTE_MS;
    const key = `${minuteMs}\u0000${fact.queue_id}`;
    let row = minutes.get(key);
    if (row === undefined) {
      row = {
        queue_id: fact.queue_id,
        minute_ms: minuteMs,
        threshold_ms: thresholdMs,
        answered: 0,
        answered_wait_ms: 0,
        answered_within: 0,
        abandoned: 0,
        abandoned_within: 0,
        transferred: 0,
        handled: 0,
        handle_ms: 0,
      };
      minutes.set(key, row);
    }
    const durationMs = Number(fact.duration_ms ?? 0);
    const within = durationMs <= thresholdMs ? 1 : 0;
    const kind = fact.kind as QueueFactKind;
    if (kind === 'answered') {
      row.answered = Number(row.answered) + 1;
      row.answered_wait_ms = Number(row.answered_wait_ms) + durationMs;
      row.answered_within = Number(row.answered_within) + within;
    } else if (kind === 'abandoned') {
      row.abandoned = Number(row.abandoned) + 1;
      row.abandoned_within = Number(row.abandoned_within) + within;
    } else if (kind === 'transferred') {
      row.transferred = Number(row.transferred) + 1;
    } else {
      row.handled = Number(row.handled) + 1;
      row.handle_ms = Number(row.handle_ms) + durationMs;
    }
  }
  const sum = (
    eb: ExpressionBuilder<OnConflictDatabase<ReadModelSchema, 'kpi_queue_minutes'>, OnConflictTables<'kpi_queue_minutes'>>,
    column: SummedColumn,
  ) => eb(eb.ref(`kpi_queue_minutes.${column}`), '+', eb.ref(`excluded.${column}`));
  for (const chunk of chunked([...minutes.values()], ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('kpi_queue_minutes')
      .values(chunk)
      .onConflict((conflict) =>
        conflict.columns(['queue_id', 'minute_ms']).doUpdateSet((eb) => ({
          // A minute that sums facts counted with two thresholds can no longer say which were within.
          threshold_ms: eb
            .case()
            .when(eb.ref('kpi_queue_minutes.threshold_ms'), '=', eb.ref('excluded.threshold_ms'))
            .then(eb.ref('excluded.threshold_ms'))
            .else(-1)
            .end(),
          answered: sum(eb, 'answered'),
          answered_wait_ms: sum(eb, 'answered_wait_ms'),
          answered_within: sum(eb, 'answered_within'),
          abandoned: sum(eb, 'abandoned'),
          abandoned_within: sum(eb, 'abandoned_within'),
          transferred: sum(eb, 'transferred'),
          handled: sum(eb, 'handled'),
          handle_ms: sum(eb, 'handle_ms'),
        })),
      )
      .execute();
  }
}

type SummedColumn = Exclude<keyof KpiQueueMinutesTable, 'queue_id' | 'minute_ms' | 'threshold_ms'>;

interface TrackedAgent {
  state: AgentState;
  revision: number;
  segment: AgentSegment | undefined;
  /** Segments this batch ended or started, in order: rows from the first on are written afresh. */
  segments: AgentSegment[];
}

async function applyAgentEvents(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
  const ids = [...new Set(events.map((event) => agentIdOfStream(event.streamName)).filter((id) => id !== undefined))];
  if (ids.length === 0) return;
  const agents = await loadAgents(trx, ids);

  for (const recorded of events) {
    const agentId = agentIdOfStream(recorded.streamName);
    if (agentId === undefined) continue;
    const agent = agents.get(agentId) ?? { state: initialAgentState(), revision: -1, segment: undefined, segments: [] };
    agents.set(agentId, agent);
    const event = toAgentEvent(recorded);
    requireNextRevision(recorded, agent.revision);
    const previousShape = agent.state.status === 'registered' ? segmentShape(agent.state) : undefined;
    agent.state = evolveAgent(agent.state, event);
    agent.revision = recorded.revision;
    if (agent.state.status !== 'registered' || segmentShape(agent.state) === previousShape) continue;

    const current = agent.segment;
    // Time never runs backwards inside an agent's history, whatever a skewed writer stamped.
    const atMs = Math.max(Date.parse(event.data.at), current?.startedMs ?? Number.NEGATIVE_INFINITY);
    let totals: AgentTotals = zeroTotals();
    if (current !== undefined) {
      current.endedMs = atMs;
      totals = totalsAt(current, atMs);
      if (!agent.segments.includes(current)) agent.segments.push(current);
    }
    const next = segmentOf(agent.state, current === undefined ? 0 : current.seq + 1, atMs, totals);
    agent.segment = next;
    agent.segments.push(next);
  }

  // A few statements for the whole batch, not three per agent: a batch touches hundreds of agents.
  const folded = [...agents].filter(([, agent]) => agent.revision >= 0);
  for (const chunk of chunked(folded, ROWS_PER_STATEMENT)) {
    await trx
      .insertInto('kpi_agents')
      .values(
        chunk.map(([agentId, agent]) => ({
          agent_id: agentId,
          state: canonicalJson(agent.state),
          revision: agent.revision,
          segment_seq: agent.segment?.seq ?? -1,
        })),
      )
      .onConflict((conflict) =>
        conflict.column('agent_id').doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          revision: eb.ref('excluded.revision'),
          segment_seq: eb.ref('excluded.segment_seq'),
        })),
      )
      .execute();
  }
  const rewritten = folded.filter(([, agent]) => agent.segments.length > 0);
  for (const chunk of chunked(rewritten, ROWS_PER_STATEMENT)) {
    await trx
      .deleteFrom('kpi_agent_segments')
      .where((eb) => eb.or(chunk.map(([agentId, agent]) => eb.and([eb('agent_id', '=', agentId), eb('seq', '>=', agent.segments[0].seq)]))))
      .execute();
  }
  for (const chunk of chunked(
    rewritten.flatMap(([agentId, agent]) => agent.segments.map((segment) => segmentRow(agentId, segment))),
    ROWS_PER_STATEMENT,
  )) {
    await trx.insertInto('kpi_agent_segments').values(chunk).execute();
  }
}

async function loadAgents(trx: Kysely<ReadModelSchema>, ids: string[]): Promise<Map<string, TrackedAgent>> {
  const agents = new Map<string, TrackedAgent>();
  for (const chunk of chunked(ids, IDS_PER_STATEMENT)) {
    const rows = await trx
      .selectFrom('kpi_agents as a')
      .leftJoin('kpi_agent_segments as s', (join) => join.onRef('s.agent_id', '=', 'a.agent_id').onRef('s.seq', '=', 'a.segment_seq'))
      .select(['a.agent_id', 'a.state', 'a.revision', ...SEGMENT_COLUMNS])
      .where('a.agent_id', 'in', chunk)
      .execute();
    for (const row of rows) {
      agents.set(row.agent_id, {
        state: JSON.parse(row.state) as AgentState,
        revision: Number(row.revision),
        segment: row.seq === null ? undefined : segmentFromRow({ ...row, seq: row.seq } as SegmentRow),
        segments: [],
      });
    }
  }
  return agents;
}

/** What segmentFromRow reads of a kpi_agent_segments row aliased `s`. */
export const SEGMENT_COLUMNS = [
  's.seq',
  's.started_ms',
  's.ended_ms',
  's.presence',
  's.capacity',
  's.used_units',
  's.expiries',
  's.totals_at_start',
] as const;

type SegmentRow = Pick<
  KpiAgentSegmentsTable,
  'seq' | 'started_ms' | 'ended_ms' | 'presence' | 'capacity' | 'used_units' | 'expiries' | 'totals_at_start'
>;

/** A stored segment as the domain-side type; numbers come back as strings from PostgreSQL bigint on some drivers. */
export function segmentFromRow(row: SegmentRow): AgentSegment {
  return {
    seq: Number(row.seq),
    startedMs: Number(row.started_ms),
    endedMs: row.ended_ms === null ? null : Number(row.ended_ms),
    presence: row.presence as AgentSegment['presence'],
    capacity: Number(row.capacity),
    usedUnits: Number(row.used_units),
    expiries: JSON.parse(row.expiries) as Array<[number, number]>,
    totalsAtStart: JSON.parse(row.totals_at_start) as AgentTotals,
  };
}

function segmentRow(agentId: string, segment: AgentSegment): Insertable<KpiAgentSegmentsTable> {
  return {
    agent_id: agentId,
    seq: segment.seq,
    started_ms: segment.startedMs,
    ended_ms: segment.endedMs,
    presence: segment.presence,
    capacity: segment.capacity,
    used_units: segment.usedUnits,
    expiries: JSON.stringify(segment.expiries),
    totals_at_start: JSON.stringify(segment.totalsAtStart),
  };
}
