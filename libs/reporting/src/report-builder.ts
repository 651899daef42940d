import {
  conversationIdOfStream,
  evolve,
  holderOf,
  initialConversationState,
  requireNextRevision,
  toConversationEvent,
  type ConversationEvent,
  type ConversationEventType,
  type ConversationState,
  type ExistingConversationState,
} from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import { groupBy, groupByAgent, aggregateOf, secondsOf } from './aggregates';
import { isoOf, parseTime } from './event-times';
import {
  DEFAULT_AGENT_CAPACITY,
  type AgentLoadSnapshot,
  type ConversationMetricsSnapshot,
  type ConversationReportRow,
  type Report,
  type ReportOptions,
  type ReportSnapshot,
  type TimeBucket,
  type TrackedConversationSnapshot,
} from './report.types';

/**
 * Folds the event log into a report, in memory, one event at a time. Pure: no I/O, no clock
 * (time comes from the events' `at` and from finish's asOf). See REPORT-DEFINITIONS.md for
 * every definition; the short version:
 *
 * - Each conversation is folded with the domain's `evolve` (the state machine is not
 *   re-implemented here); time is measured between the events at which its time bucket
 *   (status, with `active` split by acceptance) or its holder changes.
 * - A conversation belongs to the report when it was opened in [from, to). Conversations opened
 *   before `from` are still folded, only to know which agent's capacity they use.
 * - Events at or after `to` are ignored; once a conversation has one, its later events are too.
 * - Memory: the working state of a conversation (domain state + counters) lives while it is not
 *   closed; at close its row is emitted and the working state dropped. Rows of closed
 *   conversations and one load record per agent are kept. Aggregates are computed in finish()
 *   from the rows (each row gives one wait sample and one handle sample to each of its groups).
 */
export class ReportBuilder {
  private readonly from: number | undefined;
  private readonly to: number | undefined;
  private readonly agentCapacity: number;
  private position = 0;
  private readonly conversations = new Map<string, Tracked>();
  private readonly closedRows: ConversationReportRow[] = [];
  private readonly agents = new Map<string, AgentLoadSnapshot>();

  constructor(private readonly options: ReportOptions = {}) {
    const { from, to } = validateReportOptions(options);
    this.from = from;
    this.to = to;
    this.agentCapacity = options.agentCapacity ?? DEFAULT_AGENT_CAPACITY;
  }

  /** Global position of the last event applied (0: none): resume reading the log after it. */
  get lastPosition(): number {
    return this.position;
  }

  /**
   * Applies one recorded event; call in position order. Events of other streams are ignored, and
   * so is an event at or before lastPosition (already applied: a resumed read may overlap).
   * Throws on an unknown conversation event type and on a revision gap in a conversation stream.
   */
  apply(recorded: RecordedEvent): void {
    if (recorded.position <= this.position) return;
    this.fold(recorded);
    // Only once folded: an event that threw can be fixed and applied again.
    this.position = recorded.position;
  }

  private fold(recorded: RecordedEvent): void {
    const conversationId = conversationIdOfStream(recorded.streamName);
    if (conversationId === undefined) return;
    const event = toConversationEvent(recorded);
    const atMs = parseTime(event.data.at, `${recorded.type} at ${recorded.streamName}@${recorded.revision}: at`);
    const tracked = this.conversations.get(conversationId);

    if (tracked === undefined) {
      // Not followed: a conversation closed earlier, or one opened before the log read began.
      if (event.type !== 'ConversationOpened') return;
      if (this.to !== undefined && atMs >= this.to) return;
      const state = evolve(initialConversationState(), event) as ExistingConversationState;
      const inWindow = this.from === undefined || atMs >= this.from;
      this.conversations.set(conversationId, {
        conversationId,
        revision: recorded.revision,
        state,
        frozen: false,
        metrics: inWindow ? newMetrics(state, atMs) : null,
      });
      return;
    }
    if (tracked.frozen) return;
    requireNextRevision(recorded, tracked.revision);
    tracked.revision = recorded.revision;
    if (this.to !== undefined && atMs >= this.to) {
      tracked.frozen = true;
      return;
    }

    const before = tracked.state;
    const after = evolve(before, event);
    if (after.status === 'none') throw new Error(`${recorded.type} left ${recorded.streamName} without a conversation`);
    tracked.state = after;

    const loadBefore = capacityHolderOf(before);
    const loadAfter = capacityHolderOf(after);
    if (loadBefore !== loadAfter) {
      if (loadBefore !== null) this.changeLoad(loadBefore, -1, atMs);
      if (loadAfter !== null) this.changeLoad(loadAfter, +1, atMs);
    }
    if (tracked.metrics !== null) measure(tracked.metrics, after, event, atMs);
    if (after.status === 'closed') {
      if (tracked.metrics !== null) {
        this.closedRows.push(rowOf(tracked.conversationId, after, tracked.metrics, atMs, event.type));
      }
      this.conversations.delete(conversationId);
    }
  }

  applyAll(events: Iterable<RecordedEvent>): void {
    for (const event of events) this.apply(event);
  }

  /** The whole working state as plain JSON (a deep copy: later applies do not change it). */
  snapshot(): ReportSnapshot {
    return structuredClone({
      version: 1 as const,
      options: {
        from: this.options.from ?? null,
        to: this.options.to ?? null,
        agentCapacity: this.agentCapacity,
      },
      lastPosition: this.position,
      conversations: [...this.conversations.values()] satisfies TrackedConversationSnapshot[],
      closedRows: this.closedRows,
      agents: [...this.agents.values()],
    });
  }

  /** A builder that continues where the snapshot's left off (read the log after its lastPosition). */
  static restore(snapshot: ReportSnapshot): ReportBuilder {
    if (snapshot === null || typeof snapshot !== 'object' || snapshot.version !== 1) {
      throw new TypeError('Not a report snapshot (version 1)');
    }
    const { from, to, agentCapacity } = snapshot.options;
    const builder = new ReportBuilder({
      ...(from === null ? {} : { from }),
      ...(to === null ? {} : { to }),
      agentCapacity,
    });
    const copy = structuredClone(snapshot);
    builder.position = copy.lastPosition;
    for (const tracked of copy.conversations) {
      const state = tracked.state as ConversationState;
      if (state === null || typeof state !== 'object' || state.status === 'none' || state.status === 'closed') {
        throw new TypeError(`Snapshot of conversation ${tracked.conversationId} has no open conversation state`);
      }
      builder.conversations.set(tracked.conversationId, { ...tracked, state });
    }
    builder.closedRows.push(...copy.closedRows);
    for (const agent of copy.agents) builder.agents.set(agent.agentId, agent);
    return builder;
  }

  /**
   * Closes the books at min(asOf, to): conversations not closed yet are measured up to then and
   * listed with closed: false, agents' capacity time is counted up to then. Does not change the
   * builder (more events may be applied and finish called again).
   */
  finish(asOf: string): Report {
    const asOfMs = parseTime(asOf, 'asOf');
    const end = this.to === undefined ? asOfMs : Math.min(asOfMs, this.to);
    const openRows: ConversationReportRow[] = [];
    for (const tracked of this.conversations.values()) {
      if (tracked.metrics === null) continue;
      const metrics = structuredClone(tracked.metrics);
      closeSegment(metrics, end);
      openRows.push(rowOf(tracked.conversationId, tracked.state, metrics, end, null));
    }
    const conversations = [...this.closedRows, ...openRows].sort(byOpenedAt);

    const atOrOverCapacityMs = new Map<string, number>();
    for (const agent of this.agents.values()) {
      atOrOverCapacityMs.set(agent.agentId, agent.atOrOverCapacityMs + this.overCapacityMs(agent, end));
    }
    return {
      asOf: isoOf(end),
      from: this.from === undefined ? null : isoOf(this.from),
      to: this.to === undefined ? null : isoOf(this.to),
      agentCapacity: this.agentCapacity,
      throughPosition: this.position,
      conversations,
      totals: aggregateOf('all', conversations),
      byQueue: groupBy(conversations, (row) => row.queueId),
      byAgent: groupByAgent(conversations, atOrOverCapacityMs),
      byChannel: groupBy(conversations, (row) => row.channel),
      byDay: groupBy(conversations, (row) => row.openedDay),
    };
  }

  /** Time from the agent's sinceMs to untilMs, inside [from, ...), during which load >= capacity. */
  private overCapacityMs(agent: AgentLoadSnapshot, untilMs: number): number {
    if (agent.load < this.agentCapacity) return 0;
    const start = this.from === undefined ? agent.sinceMs : Math.max(agent.sinceMs, this.from);
    return Math.max(0, untilMs - start);
  }

  private changeLoad(agentId: string, delta: number, atMs: number): void {
    let agent = this.agents.get(agentId);
    if (agent === undefined) {
      agent = { agentId, load: 0, sinceMs: atMs, atOrOverCapacityMs: 0 };
      this.agents.set(agentId, agent);
    }
    agent.atOrOverCapacityMs += this.overCapacityMs(agent, atMs);
    // Clocks of different writers may disagree: time never runs backwards for an agent.
    agent.sinceMs = Math.max(agent.sinceMs, atMs);
    agent.load += delta;
  }
}

type Tracked = Omit<TrackedConversationSnapshot, 'state'> & { state: ExistingConversationState };

/** Checks from/to/agentCapacity; returns from and to as epoch milliseconds. */
export function validateReportOptions(options: ReportOptions): { from?: number; to?: number } {
  const from = options.from === undefined ? undefined : parseTime(options.from, 'from');
  const to = options.to === undefined ? undefined : parseTime(options.to, 'to');
  if (from !== undefined && to !== undefined && from >= to) {
    throw new RangeError(`from (${options.from}) must be before to (${options.to})`);
  }
  const capacity = options.agentCapacity;
  if (capacity !== undefined && !(typeof capacity === 'number' && Number.isFinite(capacity) && capacity > 0)) {
    throw new RangeError(`agentCapacity must be a positive number of units, got ${String(capacity)}`);
  }
  return { from, to };
}

// ---------------------------------------------------------------------------------------------
// Per-conversation measurement
// ---------------------------------------------------------------------------------------------

/** What the conversation's time is counted as: its status, with `active` split by acceptance. */
/**
 * The agent whose capacity it uses: active (a push reservation included) or wrap-up (blocked
 * until closed). Waiting uses none.
 */
const capacityHolderOf = (state: ConversationState): string | null =>
  state.status === 'active' || state.status === 'wrap_up' ? state.agentId : null;

const bucketOf = (state: ExistingConversationState): TimeBucket =>
  state.status === 'active' ? (state.assignment === 'awaiting_acceptance' ? 'awaiting_acceptance' : 'active') : state.status;

const newMetrics = (state: ExistingConversationState, atMs: number): ConversationMetricsSnapshot => ({
  openedQueueId: state.queueId,
  segment: { bucket: bucketOf(state), agentId: holderOf(state) ?? null, sinceMs: atMs },
  ms: { open: 0, awaiting_acceptance: 0, active: 0, waiting: 0, wrap_up: 0 },
  handleMsByAgent: {},
  agentsInvolved: [],
  agentsHeld: [],
  consultants: [],
  firstAssignedAt: null,
  firstAcceptedAt: null,
  transfersToQueue: 0,
  transfersToAgent: 0,
  releases: 0,
  revivals: 0,
  parks: 0,
  pushesRejected: 0,
  pushesExpired: 0,
  requeuedAfterAgentDisconnect: 0,
});

/**
 * Adds the running segment's time up to atMs to its bucket (and, when the agent is handling it,
 * to that agent's handle share). A clock that went backwards adds nothing.
 */
function closeSegment(metrics: ConversationMetricsSnapshot, atMs: number): void {
  const { bucket, agentId, sinceMs } = metrics.segment;
  const ms = Math.max(0, atMs - sinceMs);
  if (bucket !== 'closed') metrics.ms[bucket] += ms;
  if ((bucket === 'active' || bucket === 'wrap_up') && agentId !== null) {
    metrics.handleMsByAgent[agentId] = (metrics.handleMsByAgent[agentId] ?? 0) + ms;
  }
  metrics.segment = { ...metrics.segment, sinceMs: Math.max(sinceMs, atMs) };
}

const addOnce = (list: string[], id: string): void => {
  if (!list.includes(id)) list.push(id);
};

function measure(metrics: ConversationMetricsSnapshot, after: ExistingConversationState, event: ConversationEvent, atMs: number): void {
  const bucket = bucketOf(after);
  const agentId = holderOf(after) ?? null;
  if (bucket !== metrics.segment.bucket || agentId !== metrics.segment.agentId) {
    closeSegment(metrics, atMs);
    metrics.segment = { bucket, agentId, sinceMs: metrics.segment.sinceMs };
  }
  if (after.status === 'active') {
    if (metrics.firstAssignedAt === null) metrics.firstAssignedAt = isoOf(atMs);
    if (metrics.firstAcceptedAt === null && after.assignment === 'accepted') metrics.firstAcceptedAt = isoOf(atMs);
    addOnce(metrics.agentsHeld, after.agentId);
    addOnce(metrics.agentsInvolved, after.agentId);
  }
  (EVENT_MEASURES[event.type] as Measure<typeof event.type>)(metrics, event, after);
}

type EventOfType<T extends ConversationEventType> = Extract<ConversationEvent, { type: T }>;
type Measure<T extends ConversationEventType> = (
  metrics: ConversationMetricsSnapshot,
  event: EventOfType<T>,
  after: ExistingConversationState,
) => void;
type CountedMeasure =
  | 'transfersToQueue'
  | 'transfersToAgent'
  | 'releases'
  | 'revivals'
  | 'parks'
  | 'pushesRejected'
  | 'pushesExpired'
  | 'requeuedAfterAgentDisconnect';
const counts = (measure: CountedMeasure) => (metrics: ConversationMetricsSnapshot) => {
  metrics[measure] += 1;
};
const measuresNothing = (): void => undefined;

/**
 * What each conversation event adds to a conversation's measures besides the time it spends in
 * each status (REPORT-DEFINITIONS.md); every event type has an entry, so a new one does not
 * compile until the report has decided.
 */
const EVENT_MEASURES: { [T in ConversationEventType]: Measure<T> } = {
  ConversationOpened: measuresNothing,
  ConversationPicked: measuresNothing,
  ConversationPushedToAgent: measuresNothing,
  ConversationForceAssigned: measuresNothing,
  ConversationPushAccepted: measuresNothing,
  ConversationPushRejected: counts('pushesRejected'),
  ConversationPushReservationExpired: counts('pushesExpired'),
  ConversationReleasedToQueue: counts('releases'),
  ConversationTransferredToQueue: counts('transfersToQueue'),
  ConversationRequeuedOnSessionClose: counts('releases'),
  ConversationRequeuedAfterAgentDisconnect: counts('requeuedAfterAgentDisconnect'),
  ConversationTransferredToAgent: counts('transfersToAgent'),
  ConversationEndedByAgent: measuresNothing,
  ConversationEndedByCustomer: measuresNothing,
  ConversationAutoMovedToWrapUp: measuresNothing,
  ConversationParked: counts('parks'),
  ConversationRevivedByAgent: counts('revivals'),
  ConversationRevivedByCustomer: counts('revivals'),
  ConversationAbandonedByCustomer: measuresNothing,
  ConversationResolved: measuresNothing,
  ConversationWrapUpCompleted: measuresNothing,
  ConversationClosedForInactivity: measuresNothing,
  ConversationForceClosed: measuresNothing,
  ConversationAutoClosed: measuresNothing,
  AgentDisconnected: measuresNothing,
  AgentReconnected: measuresNothing,
  CustomerDisconnected: measuresNothing,
  CustomerReconnected: measuresNothing,
  CustomerMessageReceived: measuresNothing,
  AgentMessageSent: measuresNothing,
  ConsultStarted: (metrics, event, after) => {
    if (after.status !== 'active') return;
    addOnce(metrics.consultants, event.data.consultantId);
    addOnce(metrics.agentsInvolved, event.data.consultantId);
  },
  ConsultEnded: measuresNothing,
  MonitoringStarted: measuresNothing,
};

const sortedRecord = (record: Record<string, number>): Record<string, number> =>
  Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, secondsOf(record[key])]),
  );

/** The row of a conversation whose segments are accounted up to endMs (its close, or the report's end). */
function rowOf(
  conversationId: string,
  state: ExistingConversationState,
  metrics: ConversationMetricsSnapshot,
  endMs: number,
  closeEvent: string | null,
): ConversationReportRow {
  const openedMs = Date.parse(state.openedAt);
  const closed = state.status === 'closed' ? state : undefined;
  const { ms } = metrics;
  const accepted = metrics.firstAcceptedAt !== null;
  return {
    conversationId,
    channel: state.channel,
    queueId: state.queueId,
    openedQueueId: metrics.openedQueueId,
    customerId: state.customerId,
    priority: state.priority,
    openedAt: isoOf(openedMs),
    openedDay: isoOf(openedMs).slice(0, 10),
    status: state.status,
    closed: closed !== undefined,
    closedAt: closed ? isoOf(Date.parse(closed.closedAt)) : null,
    lifetimeSeconds: secondsOf(Math.max(0, endMs - openedMs)),
    openSeconds: secondsOf(ms.open),
    activeSeconds: secondsOf(ms.active + ms.awaiting_acceptance),
    awaitingAcceptanceSeconds: secondsOf(ms.awaiting_acceptance),
    waitingSeconds: secondsOf(ms.waiting),
    wrapUpSeconds: secondsOf(ms.wrap_up),
    firstAssignedAt: metrics.firstAssignedAt,
    waitBeforeFirstAssignmentSeconds:
      metrics.firstAssignedAt === null ? null : secondsOf(Math.max(0, Date.parse(metrics.firstAssignedAt) - openedMs)),
    firstAcceptedAt: metrics.firstAcceptedAt,
    handleSeconds: accepted ? secondsOf(ms.active + ms.wrap_up) : null,
    handleSecondsByAgent: sortedRecord(metrics.handleMsByAgent),
    agentsInvolved: [...metrics.agentsInvolved],
    agentsHeld: [...metrics.agentsHeld],
    consultants: [...metrics.consultants],
    lastAgentId: state.lastAgentId ?? null,
    transfers: metrics.transfersToQueue + metrics.transfersToAgent,
    transfersToQueue: metrics.transfersToQueue,
    transfersToAgent: metrics.transfersToAgent,
    releases: metrics.releases,
    revivals: metrics.revivals,
    parks: metrics.parks,
    pushesRejected: metrics.pushesRejected,
    pushesExpired: metrics.pushesExpired,
    requeuedAfterAgentDisconnect: metrics.requeuedAfterAgentDisconnect,
    abandoned: closed !== undefined && !accepted,
    closeEvent: closed ? closeEvent : null,
    closedByKind: closed ? closed.closedBy.kind : null,
    closedById: closed ? closed.closedBy.id : null,
    closeReason: closed ? closed.closeReason : null,
    automaticClose: closed ? closed.closedBy.kind === 'system' : null,
  };
}

const byOpenedAt = (a: ConversationReportRow, b: ConversationReportRow): number =>
  a.openedAt < b.openedAt
    ? -1
    : a.openedAt > b.openedAt
      ? 1
      : a.conversationId < b.conversationId
        ? -1
        : a.conversationId > b.conversationId
          ? 1
          : 0;
