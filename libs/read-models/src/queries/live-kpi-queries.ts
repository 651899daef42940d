import { PRESENCES, capacityUsage, type AgentState, type Presence } from '@lib/domain';
import type { Kysely } from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';
import type { ReadModelSchema } from '../database/read-model-schema';
import { runInReadSnapshot } from '../database/read-snapshot';
import { SEGMENT_COLUMNS, segmentFromRow } from '../projections/live-kpis/live-kpis.projection';
import { totalsAt, totalsBetween, zeroTotals, type AgentTotals } from '../projections/live-kpis/agent-segments';
import type { Page, PageRequest } from '../read-models.types';
import { decodeCursor, encodeCursor, requireId, resolvePage, toPage } from './pagination';

/** The span the window figures cover: from `startMs` (inclusive) to `nowMs` (inclusive), epoch milliseconds. */
export interface KpiWindow {
  startMs: number;
  nowMs: number;
}

/**
 * How abandoned conversations enter the service level:
 * - `missed`: every abandoned one counts as not answered in time (in the denominator);
 * - `excluded`: abandoned ones are left out (answered within the threshold / answered);
 * - `short-excluded`: those abandoned within the threshold are left out, later ones count as missed.
 */
export const ABANDONED_IN_SERVICE_LEVEL = ['missed', 'excluded', 'short-excluded'] as const;
export type AbandonedInServiceLevel = (typeof ABANDONED_IN_SERVICE_LEVEL)[number];

export interface ServiceLevelPolicy {
  thresholdMs: number;
  abandoned: AbandonedInServiceLevel;
}

/** Live figures of one queue: what waits now, and what happened in the window. Seconds with ms precision; rates 0..1. */
export interface QueueKpis {
  queueId: string;
  /** Now: conversations open in the queue. */
  inQueue: number;
  /** Now: conversations of the queue pushed to an agent who has not accepted yet. */
  awaitingAcceptance: number;
  /** Now: the longest a customer of the queue has been waiting for an answer (in queue or awaiting acceptance); null if nobody waits. */
  longestWaitSeconds: number | null;
  /** Waits that ended in an answer in the window, their mean (average speed to answer), and those within the threshold. */
  answered: number;
  averageSpeedToAnswerSeconds: number | null;
  answeredWithinThreshold: number;
  /** answeredWithinThreshold over answered plus abandoned as the policy counts them; null when that is 0. */
  serviceLevel: number | null;
  /** Waits that ended with the conversation closed unanswered in the window, and abandoned / (answered + abandoned). */
  abandoned: number;
  abandonedRate: number | null;
  /** Transfers away from the queue in the window, and transferred / answered. */
  transferred: number;
  transferRate: number | null;
  /** Conversations closed in the window after an agent accepted them, and their mean handle time. */
  handled: number;
  averageHandleSeconds: number | null;
}

/** Live figures of one agent: its state now and its time in the window. */
export interface AgentKpis {
  agentId: string;
  presence: Presence;
  presenceSince: string;
  capacity: number;
  /** Now, as on the capacity board. */
  used: number;
  blocked: number;
  free: number;
  /** Time in each presence inside the window (seconds). */
  timeInPresenceSeconds: Record<Presence, number>;
  /**
   * Capacity held (assigned or blocked by wrap-up) over capacity there was, both over the time
   * in a presence that takes work inside the window; null when there was none. Above 1 when a
   * supervisor forced work over capacity.
   */
  occupancy: number | null;
  /** Conversations closed in the window after the agent (the last to hold them) accepted them, and their mean handle time. */
  itemsHandled: number;
  averageHandleSeconds: number | null;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;
const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const mean = (totalMs: number, count: number): number | null => (count > 0 ? Math.round(totalMs / count) / 1000 : null);

/** Reads the live KPI tables (see LiveKpisProjection): a few indexed reads per request, whatever the volume of the day. */
export class LiveKpiQueries {
  constructor(private readonly database: ReadModelDatabase) {}

  /** Every defined queue (by id), or the ones named. */
  async queueKpis(window: KpiWindow, policy: ServiceLevelPolicy, queueIds?: readonly string[]): Promise<QueueKpis[]> {
    checkWindow(window);
    return runInReadSnapshot(this.database, async (db) => {
      const queues = (
        await db
          .selectFrom('queues')
          .select('queue_id')
          .$if(queueIds !== undefined, (query) => query.where('queue_id', 'in', queueIds?.length ? [...queueIds] : ['']))
          .orderBy('queue_id')
          .execute()
      ).map((row) => row.queue_id);
      if (queues.length === 0) return [];
      const only = queueIds === undefined ? undefined : queues;
      const waiting = await waitingNow(db, only);
      const happened = await queueTotalsIn(db, window, policy.thresholdMs, only);
      return queues.map((queueId) => queueKpisOf(queueId, window, policy, waiting.get(queueId), happened.get(queueId)));
    });
  }

  /** A page of agents by id (or only the ones named). */
  async agentKpis(window: KpiWindow, page?: PageRequest, agentIds?: readonly string[]): Promise<Page<AgentKpis>> {
    checkWindow(window);
    const { limit, cursor } = resolvePage(page);
    const after = cursor === undefined ? undefined : (decodeCursor('agentKpis', cursor, 's')[0] as string);
    agentIds?.forEach((id) => requireId(id, 'agentId'));
    const nowIso = new Date(window.nowMs).toISOString();
    return runInReadSnapshot(this.database, async (db) => {
      const rows = await db
        .selectFrom('kpi_agents as a')
        .innerJoin('kpi_agent_segments as s', (join) => join.onRef('s.agent_id', '=', 'a.agent_id').onRef('s.seq', '=', 'a.segment_seq'))
        .select(['a.agent_id', 'a.state', ...SEGMENT_COLUMNS])
        .$if(agentIds !== undefined, (query) => query.where('a.agent_id', 'in', agentIds?.length ? [...agentIds] : ['']))
        .$if(after !== undefined, (query) => query.where('a.agent_id', '>', after as string))
        .orderBy('a.agent_id')
        .limit(limit + 1)
        .execute();
      const kept = rows.slice(0, limit).map((row) => row.agent_id);
      const atStart = await totalsAtStart(db, kept, window.startMs);
      const handled = await handledByAgent(db, window, kept);
      return toPage(
        rows,
        limit,
        (row): AgentKpis => {
          const state = JSON.parse(row.state) as AgentState;
          if (state.status !== 'registered') throw new Error(`kpi_agents holds agent ${row.agent_id} unregistered`);
          const inWindow = totalsBetween(atStart.get(row.agent_id) ?? zeroTotals(), totalsAt(segmentFromRow(row), window.nowMs));
          const usage = capacityUsage(state, nowIso);
          const done = handled.get(row.agent_id) ?? { count: 0, totalMs: 0 };
          return {
            agentId: row.agent_id,
            presence: state.presence,
            presenceSince: new Date(Date.parse(state.presenceSince)).toISOString(),
            capacity: state.capacity,
            used: usage.used,
            blocked: usage.blocked,
            free: usage.free,
            timeInPresenceSeconds: Object.fromEntries(
              PRESENCES.map((presence) => [presence, seconds(inWindow.presenceMs[presence])]),
            ) as Record<Presence, number>,
            occupancy: ratio(inWindow.occupiedUnitMs, inWindow.capacityUnitMs),
            itemsHandled: done.count,
            averageHandleSeconds: mean(done.totalMs, done.count),
          };
        },
        (row) => encodeCursor('agentKpis', [row.agent_id]),
      );
    });
  }
}

function checkWindow({ startMs, nowMs }: KpiWindow): void {
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(nowMs) || startMs > nowMs) {
    throw new RangeError(`window must run from a start to a later now (epoch ms), got ${String(startMs)}..${String(nowMs)}`);
  }
}

interface WaitingNow {
  inQueue: number;
  awaitingAcceptance: number;
  oldestMs: number | null;
}

async function waitingNow(db: Kysely<ReadModelSchema>, queueIds: readonly string[] | undefined): Promise<Map<string, WaitingNow>> {
  const rows = await db
    .selectFrom('kpi_conversations')
    .select((eb) => [
      'queue_id',
      eb.fn.countAll<number>().as('waiting'),
      eb.fn.sum<number>('awaiting_acceptance').as('awaiting'),
      eb.fn.min<number>('waiting_since_ms').as('oldest'),
    ])
    .where('waiting_since_ms', 'is not', null)
    .$if(queueIds !== undefined, (query) => query.where('queue_id', 'in', [...(queueIds ?? [])]))
    .groupBy('queue_id')
    .execute();
  return new Map(
    rows.map((row) => {
      const awaiting = Number(row.awaiting);
      return [
        row.queue_id,
        {
          inQueue: Number(row.waiting) - awaiting,
          awaitingAcceptance: awaiting,
          oldestMs: row.oldest === null ? null : Number(row.oldest),
        },
      ];
    }),
  );
}

interface FactTotals {
  count: number;
  totalMs: number;
  withinThreshold: number;
}

type TotalsByQueue = Map<string, Map<string, FactTotals>>;

const MINUTE_MS = 60_000;

/**
 * What happened in each queue inside the window: the whole minutes from their minute totals,
 * the part-minutes at either end from the facts, so the answer is exact to the millisecond and
 * a day costs about 1,440 rows per queue. A minute whose totals were counted with another
 * threshold (SERVICE_LEVEL_THRESHOLD changed since) takes its within-threshold counts from the
 * facts instead: slower, never wrong.
 */
async function queueTotalsIn(
  db: Kysely<ReadModelSchema>,
  window: KpiWindow,
  thresholdMs: number,
  queueIds: readonly string[] | undefined,
): Promise<TotalsByQueue> {
  const firstWholeMinute = Math.ceil(window.startMs / MINUTE_MS) * MINUTE_MS;
  const afterLastWholeMinute = Math.floor((window.nowMs + 1) / MINUTE_MS) * MINUTE_MS;
  if (firstWholeMinute >= afterLastWholeMinute) return queueFactsIn(db, window, thresholdMs, queueIds);
  const totals: TotalsByQueue = new Map();
  addTotals(totals, await queueFactsIn(db, { startMs: window.startMs, nowMs: firstWholeMinute - 1 }, thresholdMs, queueIds));
  addTotals(totals, await queueFactsIn(db, { startMs: afterLastWholeMinute, nowMs: window.nowMs }, thresholdMs, queueIds));
  const rows = await db
    .selectFrom('kpi_queue_minutes')
    .select((eb) => [
      'queue_id',
      eb.fn.sum<number>('answered').as('answered'),
      eb.fn.sum<number>('answered_wait_ms').as('answered_wait_ms'),
      eb.fn.sum<number>('answered_within').as('answered_within'),
      eb.fn.sum<number>('abandoned').as('abandoned'),
      eb.fn.sum<number>('abandoned_within').as('abandoned_within'),
      eb.fn.sum<number>('transferred').as('transferred'),
      eb.fn.sum<number>('handled').as('handled'),
      eb.fn.sum<number>('handle_ms').as('handle_ms'),
      eb.fn.min<number>('threshold_ms').as('lowest_threshold'),
      eb.fn.max<number>('threshold_ms').as('highest_threshold'),
    ])
    .where('minute_ms', '>=', firstWholeMinute)
    .where('minute_ms', '<', afterLastWholeMinute)
    .$if(queueIds !== undefined, (query) => query.where('queue_id', 'in', [...(queueIds ?? [])]))
    .groupBy('queue_id')
    .execute();
  const recount: string[] = [];
  const minutes: TotalsByQueue = new Map();
  for (const row of rows) {
    const sameThreshold = Number(row.lowest_threshold) === thresholdMs && Number(row.highest_threshold) === thresholdMs;
    if (!sameThreshold) recount.push(row.queue_id);
    const within = (count: unknown) => (sameThreshold ? Number(count) : 0);
    minutes.set(
      row.queue_id,
      new Map([
        ['answered', { count: Number(row.answered), totalMs: Number(row.answered_wait_ms), withinThreshold: within(row.answered_within) }],
        ['abandoned', { count: Number(row.abandoned), totalMs: 0, withinThreshold: within(row.abandoned_within) }],
        ['transferred', { count: Number(row.transferred), totalMs: 0, withinThreshold: 0 }],
        ['handled', { count: Number(row.handled), totalMs: Number(row.handle_ms), withinThreshold: 0 }],
      ]),
    );
  }
  addTotals(totals, minutes);
  if (recount.length > 0) {
    const recounted = await queueFactsIn(db, { startMs: firstWholeMinute, nowMs: afterLastWholeMinute - 1 }, thresholdMs, recount);
    for (const [queueId, kinds] of recounted) {
      const withinOnly = new Map([...kinds].map(([kind, { withinThreshold }]) => [kind, { count: 0, totalMs: 0, withinThreshold }]));
      addTotals(totals, new Map([[queueId, withinOnly]]));
    }
  }
  return totals;
}

function addTotals(into: TotalsByQueue, from: TotalsByQueue): void {
  for (const [queueId, kinds] of from) {
    const target = into.get(queueId) ?? new Map<string, FactTotals>();
    into.set(queueId, target);
    for (const [kind, totals] of kinds) {
      const before = target.get(kind) ?? { count: 0, totalMs: 0, withinThreshold: 0 };
      target.set(kind, {
        count: before.count + totals.count,
        totalMs: before.totalMs + totals.totalMs,
        withinThreshold: before.withinThreshold + totals.withinThreshold,
      });
    }
  }
}

/** The facts themselves, at_ms in [startMs, nowMs]. */
async function queueFactsIn(
  db: Kysely<ReadModelSchema>,
  { startMs, nowMs }: KpiWindow,
  thresholdMs: number,
  queueIds: readonly string[] | undefined,
): Promise<TotalsByQueue> {
  const rows = await db
    .selectFrom('kpi_queue_facts')
    .select((eb) => [
      'queue_id',
      'kind',
      eb.fn.countAll<number>().as('count'),
      eb.fn.sum<number>(eb.fn.coalesce('duration_ms', eb.lit(0))).as('total'),
      eb.fn.sum<number>(eb.case().when('duration_ms', '<=', thresholdMs).then(1).else(0).end()).as('within'),
    ])
    .where('at_ms', '>=', startMs)
    .where('at_ms', '<=', nowMs)
    .$if(queueIds !== undefined, (query) => query.where('queue_id', 'in', [...(queueIds ?? [])]))
    .groupBy(['queue_id', 'kind'])
    .execute();
  const byQueue = new Map<string, Map<string, FactTotals>>();
  for (const row of rows) {
    const kinds = byQueue.get(row.queue_id) ?? new Map<string, FactTotals>();
    byQueue.set(row.queue_id, kinds);
    kinds.set(row.kind, { count: Number(row.count), totalMs: Number(row.total), withinThreshold: Number(row.within) });
  }
  return byQueue;
}

function queueKpisOf(
  queueId: string,
  window: KpiWindow,
  policy: ServiceLevelPolicy,
  waiting: WaitingNow | undefined,
  happened: Map<string, FactTotals> | undefined,
): QueueKpis {
  const none: FactTotals = { count: 0, totalMs: 0, withinThreshold: 0 };
  const answered = happened?.get('answered') ?? none;
  const abandoned = happened?.get('abandoned') ?? none;
  const transferred = happened?.get('transferred') ?? none;
  const handled = happened?.get('handled') ?? none;
  const missedByAbandoning = {
    missed: abandoned.count,
    excluded: 0,
    'short-excluded': abandoned.count - abandoned.withinThreshold,
  }[policy.abandoned];
  return {
    queueId,
    inQueue: waiting?.inQueue ?? 0,
    awaitingAcceptance: waiting?.awaitingAcceptance ?? 0,
    longestWaitSeconds: waiting?.oldestMs == null ? null : seconds(Math.max(0, window.nowMs - waiting.oldestMs)),
    answered: answered.count,
    averageSpeedToAnswerSeconds: mean(answered.totalMs, answered.count),
    answeredWithinThreshold: answered.withinThreshold,
    serviceLevel: ratio(answered.withinThreshold, answered.count + missedByAbandoning),
    abandoned: abandoned.count,
    abandonedRate: ratio(abandoned.count, answered.count + abandoned.count),
    transferred: transferred.count,
    transferRate: ratio(transferred.count, answered.count),
    handled: handled.count,
    averageHandleSeconds: mean(handled.totalMs, handled.count),
  };
}

/** Each agent's totals at the window's start: from the last segment started at or before it (none: nothing yet). */
async function totalsAtStart(db: Kysely<ReadModelSchema>, agentIds: readonly string[], startMs: number): Promise<Map<string, AgentTotals>> {
  if (agentIds.length === 0) return new Map();
  // Driven from the agents, so each one costs one seek down (agent_id, started_ms, seq).
  const rows = await db
    .selectFrom('kpi_agents as a')
    .innerJoin('kpi_agent_segments as s', (join) =>
      join
        .onRef('s.agent_id', '=', 'a.agent_id')
        .on((eb) =>
          eb(
            's.seq',
            '=',
            eb
              .selectFrom('kpi_agent_segments as p')
              .select('p.seq')
              .whereRef('p.agent_id', '=', 'a.agent_id')
              .where('p.started_ms', '<=', startMs)
              .orderBy('p.started_ms', 'desc')
              .orderBy('p.seq', 'desc')
              .limit(1),
          ),
        ),
    )
    .select(['a.agent_id', ...SEGMENT_COLUMNS])
    .where('a.agent_id', 'in', [...agentIds])
    .execute();
  return new Map(rows.map((row) => [row.agent_id, totalsAt(segmentFromRow(row), startMs)]));
}

async function handledByAgent(
  db: Kysely<ReadModelSchema>,
  { startMs, nowMs }: KpiWindow,
  agentIds: readonly string[],
): Promise<Map<string, { count: number; totalMs: number }>> {
  if (agentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('kpi_queue_facts')
    .select((eb) => ['agent_id', eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('duration_ms').as('total')])
    .where('kind', '=', 'handled')
    .where('at_ms', '>=', startMs)
    .where('at_ms', '<=', nowMs)
    .where('agent_id', 'in', [...agentIds])
    .groupBy('agent_id')
    .execute();
  return new Map(rows.map((row) => [row.agent_id as string, { count: Number(row.count), totalMs: Number(row.total) }]));
}
