import { InMemoryEventStore } from '@lib/event-store';
import { ReportBuilder } from './report-builder';
import { replayReport } from './replay-report';
import type { AgentAggregateRow, AggregateRow, ConversationReportRow, Report } from './report.types';
import { at } from './testing/history';
import { A, B, C, END, FORCE_CLOSE_REASON, QA, QB, SUPERVISOR, syntheticHistory } from './testing/synthetic-history';

/**
 * The synthetic history (see testing/synthetic-history.ts for its timeline) replayed into a
 * report closed at minute 60; every number below is computed by hand in the comment beside it.
 * Times are minutes after START (23:30 UTC on 2026-03-01); 1 minute = 60 s.
 */

const DAY1 = '2026-03-01';
const DAY2 = '2026-03-02';

/** Fields that are zero / empty / null unless a conversation says otherwise. */
const row = (fields: Partial<ConversationReportRow> & Pick<ConversationReportRow, 'conversationId'>): ConversationReportRow => ({
  channel: 'live_chat',
  queueId: QA,
  openedQueueId: QA,
  customerId: `customer-${fields.conversationId}`,
  priority: 0,
  openedAt: '',
  openedDay: DAY1,
  status: 'closed',
  closed: true,
  closedAt: null,
  lifetimeSeconds: 0,
  openSeconds: 0,
  activeSeconds: 0,
  awaitingAcceptanceSeconds: 0,
  waitingSeconds: 0,
  wrapUpSeconds: 0,
  firstAssignedAt: null,
  waitBeforeFirstAssignmentSeconds: null,
  firstAcceptedAt: null,
  handleSeconds: null,
  handleSecondsByAgent: {},
  agentsInvolved: [],
  agentsHeld: [],
  consultants: [],
  lastAgentId: null,
  transfers: 0,
  transfersToQueue: 0,
  transfersToAgent: 0,
  releases: 0,
  revivals: 0,
  parks: 0,
  pushesRejected: 0,
  pushesExpired: 0,
  requeuedAfterAgentDisconnect: 0,
  abandoned: false,
  closeEvent: null,
  closedByKind: null,
  closedById: null,
  closeReason: null,
  automaticClose: null,
  ...fields,
});

const EXPECTED_ROWS: ConversationReportRow[] = [
  row({
    conversationId: 'c1',
    channel: 'sms',
    openedAt: at(0),
    closedAt: at(45),
    lifetimeSeconds: 2700, // 45 - 0 = 45 min
    openSeconds: 420, // 0-2 (2) + 15-20 (5) = 7 min
    activeSeconds: 1380, // 2-10 (8) + 20-25 (5) + 30-40 (10) = 23 min
    waitingSeconds: 600, // 10-15 (5) + 25-30 (5) = 10 min
    wrapUpSeconds: 300, // 40-45 = 5 min
    firstAssignedAt: at(2),
    waitBeforeFirstAssignmentSeconds: 120,
    firstAcceptedAt: at(2), // picked at 2
    handleSeconds: 1680, // active 23 min (all accepted) + wrap-up 5 min = 28 min
    handleSecondsByAgent: { [A]: 480, [B]: 1200 }, // A 2-10 (8 min); B 20-25 + 30-40 + 40-45 (20 min)
    agentsInvolved: [A, B],
    agentsHeld: [A, B],
    lastAgentId: B,
    revivals: 2, // by the customer at 15, by B at 30
    parks: 2, // 10 and 25
    closeEvent: 'ConversationWrapUpCompleted',
    closedByKind: 'agent',
    closedById: B,
    closeReason: 'agent_closed_session_after_wrap_up',
    automaticClose: false,
  }),
  row({
    conversationId: 'c3',
    openedAt: at(3),
    closedAt: at(9),
    lifetimeSeconds: 360,
    openSeconds: 360, // 3-9, never assigned: no wait, no handle
    abandoned: true,
    closeEvent: 'ConversationAbandonedByCustomer',
    closedByKind: 'customer',
    closedById: 'customer-c3',
    closeReason: 'customer_ended',
    automaticClose: false,
  }),
  row({
    conversationId: 'c2',
    channel: 'persistent_chat',
    queueId: QB,
    priority: 1,
    openedAt: at(5),
    closedAt: at(34),
    lifetimeSeconds: 1740, // 34 - 5 = 29 min
    openSeconds: 300, // 5-6 (1) + 18-22 (4) = 5 min
    activeSeconds: 1320, // 6-18 (12) + 22-32 (10) = 22 min
    awaitingAcceptanceSeconds: 60, // pushed 6, accepted 7
    wrapUpSeconds: 120, // 32-34
    firstAssignedAt: at(6),
    waitBeforeFirstAssignmentSeconds: 60,
    firstAcceptedAt: at(7),
    handleSeconds: 1380, // 1320 - 60 + 120 = 23 min
    handleSecondsByAgent: { [A]: 300, [B]: 360, [C]: 720 }, // A 7-12; B 12-18; C 22-34
    agentsInvolved: [A, C, B],
    agentsHeld: [A, B, C],
    consultants: [C],
    lastAgentId: C,
    transfers: 2,
    transfersToQueue: 1,
    transfersToAgent: 1,
    closeEvent: 'ConversationWrapUpCompleted',
    closedByKind: 'agent',
    closedById: C,
    closeReason: 'agent_closed_session_after_wrap_up',
    automaticClose: false,
  }),
  row({
    conversationId: 'c4',
    queueId: QB,
    openedQueueId: QB,
    priority: 2,
    openedAt: at(10),
    closedAt: at(35),
    lifetimeSeconds: 1500, // 35 - 10 = 25 min
    openSeconds: 60, // 10-11
    activeSeconds: 540, // 11-20
    wrapUpSeconds: 900, // 20-35 (customer ended at 20, auto-closed 15 min later)
    firstAssignedAt: at(11),
    waitBeforeFirstAssignmentSeconds: 60,
    firstAcceptedAt: at(11),
    handleSeconds: 1440,
    handleSecondsByAgent: { [A]: 1440 }, // 9 + 15 min
    agentsInvolved: [A],
    agentsHeld: [A],
    lastAgentId: A,
    closeEvent: 'ConversationAutoClosed',
    closedByKind: 'system',
    closedById: 'auto-close',
    closeReason: 'auto_close_after_wrap_up_900000ms',
    automaticClose: true,
  }),
  row({
    conversationId: 'c5',
    channel: 'persistent_chat',
    queueId: QB,
    openedQueueId: QB,
    openedAt: at(12),
    closedAt: at(24),
    lifetimeSeconds: 720, // 12-24
    openSeconds: 120, // 12-14
    activeSeconds: 600, // 14-24 (force-assigned: accepted at once)
    firstAssignedAt: at(14),
    waitBeforeFirstAssignmentSeconds: 120,
    firstAcceptedAt: at(14),
    handleSeconds: 600,
    handleSecondsByAgent: { [B]: 600 },
    agentsInvolved: [B],
    agentsHeld: [B],
    lastAgentId: B,
    closeEvent: 'ConversationForceClosed',
    closedByKind: 'supervisor',
    closedById: SUPERVISOR,
    closeReason: FORCE_CLOSE_REASON,
    automaticClose: false,
  }),
  row({
    conversationId: 'c6',
    channel: 'teams',
    openedAt: at(13),
    status: 'wrap_up',
    closed: false,
    lifetimeSeconds: 2820, // still in wrap-up: 60 - 13 = 47 min
    openSeconds: 480, // 13-16 (3) + 19-21 (2) + 22-25 (3) = 8 min
    activeSeconds: 540, // 16-19 (3) + 21-22 (1, awaiting A) + 25-30 (5) = 9 min
    awaitingAcceptanceSeconds: 60, // 21-22
    wrapUpSeconds: 1800, // 30-60
    firstAssignedAt: at(16),
    waitBeforeFirstAssignmentSeconds: 180,
    firstAcceptedAt: at(16),
    handleSeconds: 2280, // 540 - 60 + 1800 = 38 min
    handleSecondsByAgent: { [A]: 2100, [C]: 180 }, // C 16-19; A 25-60
    agentsInvolved: [C, A],
    agentsHeld: [C, A],
    lastAgentId: A,
    releases: 1,
    pushesRejected: 1,
  }),
  row({
    conversationId: 'c7',
    channel: 'record',
    queueId: QB,
    openedQueueId: QB,
    openedAt: at(40),
    openedDay: DAY2,
    closedAt: at(50),
    lifetimeSeconds: 600, // 40-50
    openSeconds: 120, // 40-41 (1) + 43-44 (1)
    activeSeconds: 480, // 41-43 (2, awaiting) + 44-50 (6)
    awaitingAcceptanceSeconds: 120,
    firstAssignedAt: at(41),
    waitBeforeFirstAssignmentSeconds: 60,
    firstAcceptedAt: at(44),
    handleSeconds: 360,
    handleSecondsByAgent: { [B]: 360 }, // 44-50
    agentsInvolved: [B],
    agentsHeld: [B],
    lastAgentId: B,
    pushesExpired: 1,
    closeEvent: 'ConversationResolved',
    closedByKind: 'agent',
    closedById: B,
    closeReason: 'agent_resolved_record',
    automaticClose: false,
  }),
  row({
    conversationId: 'c8',
    priority: 3,
    openedAt: at(50),
    openedDay: DAY2,
    status: 'open',
    closed: false,
    lifetimeSeconds: 600,
    openSeconds: 600, // 50-60, still in the queue
  }),
  row({
    conversationId: 'c9',
    openedAt: at(52),
    openedDay: DAY2,
    closedAt: at(55),
    lifetimeSeconds: 180, // 52-55
    openSeconds: 60, // 52-53
    activeSeconds: 120,
    awaitingAcceptanceSeconds: 120, // pushed to C at 53, never accepted
    firstAssignedAt: at(53),
    waitBeforeFirstAssignmentSeconds: 60, // assigned (pushed) after 1 min...
    handleSeconds: null, // ...but never accepted: no handle time, and abandoned
    agentsInvolved: [C],
    agentsHeld: [C],
    lastAgentId: C,
    abandoned: true,
    closeEvent: 'ConversationAbandonedByCustomer',
    closedByKind: 'customer',
    closedById: 'customer-c9',
    closeReason: 'customer_ended',
    automaticClose: false,
  }),
];

const aggregate = (fields: Partial<AggregateRow> & Pick<AggregateRow, 'key'>): AggregateRow => ({
  conversations: 0,
  closed: 0,
  abandoned: 0,
  abandonmentRate: null,
  automaticCloses: 0,
  autoCloseRate: null,
  transfers: 0,
  releases: 0,
  revivals: 0,
  waitCount: 0,
  waitMeanSeconds: null,
  waitP50Seconds: null,
  waitP90Seconds: null,
  handleCount: 0,
  handleMeanSeconds: null,
  handleP50Seconds: null,
  handleP90Seconds: null,
  ...fields,
});

// Samples per conversation (seconds): wait c1 120, c2 60, c4 60, c5 120, c6 180, c7 60, c9 60 (c3, c8 none);
// handle c1 1680, c2 1380, c4 1440, c5 600, c6 2280, c7 360 (c3, c8, c9 none).
// Percentiles are nearest-rank: the sample of rank ceil(p/100 * n) in ascending order.
const EXPECTED_TOTALS = aggregate({
  key: 'all',
  conversations: 9,
  closed: 7, // all but c6 (wrap-up) and c8 (open)
  abandoned: 2,
  abandonmentRate: 2 / 7, // c3, c9
  automaticCloses: 1,
  autoCloseRate: 1 / 7, // c4
  transfers: 2,
  releases: 1,
  revivals: 2,
  // sorted [60,60,60,60,120,120,180]: sum 660 / 7 = 94.2857 -> 94.286; p50 rank 4 -> 60; p90 rank ceil(6.3)=7 -> 180
  waitCount: 7,
  waitMeanSeconds: 94.286,
  waitP50Seconds: 60,
  waitP90Seconds: 180,
  // sorted [360,600,1380,1440,1680,2280]: sum 7740 / 6 = 1290; p50 rank 3 -> 1380; p90 rank ceil(5.4)=6 -> 2280
  handleCount: 6,
  handleMeanSeconds: 1290,
  handleP50Seconds: 1380,
  handleP90Seconds: 2280,
});

const EXPECTED_BY_QUEUE = [
  // queue at close or at the end: c1, c3, c6, c8, c9 (c2 ended in queue-b)
  aggregate({
    key: QA,
    conversations: 5,
    closed: 3,
    abandoned: 2,
    abandonmentRate: 2 / 3,
    automaticCloses: 0,
    autoCloseRate: 0,
    releases: 1,
    revivals: 2,
    // waits c1 120, c6 180, c9 60 -> [60,120,180]: mean 120, p50 rank 2 -> 120, p90 rank 3 -> 180
    waitCount: 3,
    waitMeanSeconds: 120,
    waitP50Seconds: 120,
    waitP90Seconds: 180,
    // handle c1 1680, c6 2280: mean 1980, p50 rank 1 -> 1680, p90 rank 2 -> 2280
    handleCount: 2,
    handleMeanSeconds: 1980,
    handleP50Seconds: 1680,
    handleP90Seconds: 2280,
  }),
  // c2, c4, c5, c7
  aggregate({
    key: QB,
    conversations: 4,
    closed: 4,
    abandoned: 0,
    abandonmentRate: 0,
    automaticCloses: 1,
    autoCloseRate: 0.25,
    transfers: 2,
    // waits [60,60,60,120]: mean 75, p50 rank 2 -> 60, p90 rank 4 -> 120
    waitCount: 4,
    waitMeanSeconds: 75,
    waitP50Seconds: 60,
    waitP90Seconds: 120,
    // handle [360,600,1380,1440]: sum 3780 / 4 = 945, p50 rank 2 -> 600, p90 rank 4 -> 1440
    handleCount: 4,
    handleMeanSeconds: 945,
    handleP50Seconds: 600,
    handleP90Seconds: 1440,
  }),
];

const EXPECTED_BY_CHANNEL = [
  // c3, c4, c8, c9: closed c3, c4, c9; abandoned c3, c9; automatic c4; waits c4 60, c9 60; handle c4 1440
  aggregate({
    key: 'live_chat',
    conversations: 4,
    closed: 3,
    abandoned: 2,
    abandonmentRate: 2 / 3,
    automaticCloses: 1,
    autoCloseRate: 1 / 3,
    waitCount: 2,
    waitMeanSeconds: 60,
    waitP50Seconds: 60,
    waitP90Seconds: 60,
    handleCount: 1,
    handleMeanSeconds: 1440,
    handleP50Seconds: 1440,
    handleP90Seconds: 1440,
  }),
  // c2, c5: waits [60,120] mean 90, p50 rank 1 -> 60, p90 rank 2 -> 120; handle [600,1380] mean 990
  aggregate({
    key: 'persistent_chat',
    conversations: 2,
    closed: 2,
    abandoned: 0,
    abandonmentRate: 0,
    automaticCloses: 0,
    autoCloseRate: 0,
    transfers: 2,
    waitCount: 2,
    waitMeanSeconds: 90,
    waitP50Seconds: 60,
    waitP90Seconds: 120,
    handleCount: 2,
    handleMeanSeconds: 990,
    handleP50Seconds: 600,
    handleP90Seconds: 1380,
  }),
  aggregate({
    key: 'record',
    conversations: 1,
    closed: 1,
    abandonmentRate: 0,
    autoCloseRate: 0,
    waitCount: 1,
    waitMeanSeconds: 60,
    waitP50Seconds: 60,
    waitP90Seconds: 60,
    handleCount: 1,
    handleMeanSeconds: 360,
    handleP50Seconds: 360,
    handleP90Seconds: 360,
  }),
  aggregate({
    key: 'sms',
    conversations: 1,
    closed: 1,
    abandonmentRate: 0,
    autoCloseRate: 0,
    revivals: 2,
    waitCount: 1,
    waitMeanSeconds: 120,
    waitP50Seconds: 120,
    waitP90Seconds: 120,
    handleCount: 1,
    handleMeanSeconds: 1680,
    handleP50Seconds: 1680,
    handleP90Seconds: 1680,
  }),
  // c6 is not closed: no rates
  aggregate({
    key: 'teams',
    conversations: 1,
    closed: 0,
    releases: 1,
    waitCount: 1,
    waitMeanSeconds: 180,
    waitP50Seconds: 180,
    waitP90Seconds: 180,
    handleCount: 1,
    handleMeanSeconds: 2280,
    handleP50Seconds: 2280,
    handleP90Seconds: 2280,
  }),
];

const EXPECTED_BY_DAY = [
  // UTC day of openedAt: c1-c6 opened before minute 30 (midnight)
  aggregate({
    key: DAY1,
    conversations: 6,
    closed: 5,
    abandoned: 1,
    abandonmentRate: 0.2,
    automaticCloses: 1,
    autoCloseRate: 0.2,
    transfers: 2,
    releases: 1,
    revivals: 2,
    // waits [60,60,120,120,180]: sum 540 / 5 = 108, p50 rank 3 -> 120, p90 rank ceil(4.5)=5 -> 180
    waitCount: 5,
    waitMeanSeconds: 108,
    waitP50Seconds: 120,
    waitP90Seconds: 180,
    // handle [600,1380,1440,1680,2280]: sum 7380 / 5 = 1476, p50 rank 3 -> 1440, p90 rank 5 -> 2280
    handleCount: 5,
    handleMeanSeconds: 1476,
    handleP50Seconds: 1440,
    handleP90Seconds: 2280,
  }),
  // c7, c8, c9: closed c7, c9; abandoned c9
  aggregate({
    key: DAY2,
    conversations: 3,
    closed: 2,
    abandoned: 1,
    abandonmentRate: 0.5,
    automaticCloses: 0,
    autoCloseRate: 0,
    waitCount: 2,
    waitMeanSeconds: 60,
    waitP50Seconds: 60,
    waitP90Seconds: 60,
    handleCount: 1,
    handleMeanSeconds: 360,
    handleP50Seconds: 360,
    handleP90Seconds: 360,
  }),
];

/**
 * Agents' load (conversations active, including awaiting acceptance, or in wrap-up):
 *   A: c1 2-10, c2 6-12, c4 11-35, c6 21-22 (awaiting) and 25-60
 *      load 1: 2-6, 10-11, 12-21, 22-25, 35-60; load 2: 6-10, 11-12, 21-22, 25-35
 *      >= 1: 2-60 = 58 min = 3480 s; >= 2: 4 + 1 + 1 + 10 = 16 min = 960 s
 *   B: c2 12-18, c5 14-24, c1 20-25 and 30-45, c7 41-43 (awaiting) and 44-50
 *      load 2: 14-18, 20-24, 41-43, 44-45; load 0: 25-30
 *      >= 1: 12-25 + 30-50 = 33 min = 1980 s; >= 2: 4 + 4 + 2 + 1 = 11 min = 660 s
 *   C: c6 16-19, c2 22-34, c9 53-55 (awaiting): never 2 at once
 *      >= 1: 3 + 12 + 2 = 17 min = 1020 s; >= 2: 0
 */
const agentRows = (capacity: 1 | 2): AgentAggregateRow[] => [
  {
    // held c1, c2, c4, c6; closed c1, c2, c4 (auto)
    ...aggregate({
      key: A,
      conversations: 4,
      closed: 3,
      abandoned: 0,
      abandonmentRate: 0,
      automaticCloses: 1,
      autoCloseRate: 1 / 3,
      transfers: 2,
      releases: 1,
      revivals: 2,
      // waits c1 120, c2 60, c4 60, c6 180 -> [60,60,120,180]: mean 105, p50 rank 2 -> 60, p90 rank 4 -> 180
      waitCount: 4,
      waitMeanSeconds: 105,
      waitP50Seconds: 60,
      waitP90Seconds: 180,
      // A's shares c1 480, c2 300, c4 1440, c6 2100 -> [300,480,1440,2100]: sum 4320 / 4 = 1080
      handleCount: 4,
      handleMeanSeconds: 1080,
      handleP50Seconds: 480,
      handleP90Seconds: 2100,
    }),
    consulted: 0,
    handleTotalSeconds: 4320,
    atOrOverCapacitySeconds: capacity === 1 ? 3480 : 960,
  },
  {
    // held c1, c2, c5, c7; all closed, none automatic
    ...aggregate({
      key: B,
      conversations: 4,
      closed: 4,
      abandoned: 0,
      abandonmentRate: 0,
      automaticCloses: 0,
      autoCloseRate: 0,
      transfers: 2,
      revivals: 2,
      // waits [60,60,120,120]: mean 90, p50 rank 2 -> 60, p90 rank 4 -> 120
      waitCount: 4,
      waitMeanSeconds: 90,
      waitP50Seconds: 60,
      waitP90Seconds: 120,
      // B's shares c1 1200, c2 360, c5 600, c7 360 -> [360,360,600,1200]: sum 2520 / 4 = 630
      handleCount: 4,
      handleMeanSeconds: 630,
      handleP50Seconds: 360,
      handleP90Seconds: 1200,
    }),
    consulted: 0,
    handleTotalSeconds: 2520,
    atOrOverCapacitySeconds: capacity === 1 ? 1980 : 660,
  },
  {
    // held c2, c6, c9 (push never accepted); closed c2, c9 (abandoned); consulted on c2
    ...aggregate({
      key: C,
      conversations: 3,
      closed: 2,
      abandoned: 1,
      abandonmentRate: 0.5,
      automaticCloses: 0,
      autoCloseRate: 0,
      transfers: 2,
      releases: 1,
      // waits c2 60, c6 180, c9 60 -> [60,60,180]: mean 100, p50 rank 2 -> 60, p90 rank 3 -> 180
      waitCount: 3,
      waitMeanSeconds: 100,
      waitP50Seconds: 60,
      waitP90Seconds: 180,
      // C's shares c2 720, c6 180 (none in c9) -> [180,720]: mean 450, p50 rank 1 -> 180, p90 rank 2 -> 720
      handleCount: 2,
      handleMeanSeconds: 450,
      handleP50Seconds: 180,
      handleP90Seconds: 720,
    }),
    consulted: 1,
    handleTotalSeconds: 900,
    atOrOverCapacitySeconds: capacity === 1 ? 1020 : 0,
  },
];

const oneReport = (agentCapacity?: number): Report => {
  const builder = new ReportBuilder(agentCapacity === undefined ? {} : { agentCapacity });
  builder.applyAll(syntheticHistory().events);
  return builder.finish(at(END));
};

describe('ReportBuilder on the synthetic history', () => {
  const report = oneReport();

  it('lists every conversation, ordered by openedAt, with hand-computed fields', () => {
    expect(report.conversations.map((r) => r.conversationId)).toEqual(['c1', 'c3', 'c2', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
    for (const expected of EXPECTED_ROWS) {
      expect(report.conversations.find((r) => r.conversationId === expected.conversationId)).toEqual(expected);
    }
    expect(report.conversations).toHaveLength(EXPECTED_ROWS.length);
  });

  it("states in each row add up to its lifetime and agents' shares to its handle time", () => {
    for (const r of report.conversations) {
      expect(r.openSeconds + r.activeSeconds + r.waitingSeconds + r.wrapUpSeconds).toBeCloseTo(r.lifetimeSeconds, 6);
      const shares = Object.values(r.handleSecondsByAgent).reduce((sum, s) => sum + s, 0);
      expect(shares).toBeCloseTo(r.handleSeconds ?? 0, 6);
    }
  });

  it('aggregates all, by queue, by channel and by day', () => {
    expect(report.totals).toEqual(EXPECTED_TOTALS);
    expect(report.byQueue).toEqual(EXPECTED_BY_QUEUE);
    expect(report.byChannel).toEqual(EXPECTED_BY_CHANNEL);
    expect(report.byDay).toEqual(EXPECTED_BY_DAY);
  });

  it('aggregates by agent with time at or over capacity 1 (the default)', () => {
    expect(report.byAgent).toEqual(agentRows(1));
    expect(oneReport(1).byAgent).toEqual(agentRows(1));
  });

  it('counts time at or over capacity 2', () => {
    const withTwo = oneReport(2);
    expect(withTwo.byAgent).toEqual(agentRows(2));
    expect(withTwo.agentCapacity).toBe(2);
  });

  it('says when the books were closed and what it covers', () => {
    expect(report).toMatchObject({ asOf: at(END), from: null, to: null, agentCapacity: 1 });
    expect(report.throughPosition).toBe(syntheticHistory().events.length);
  });

  it('closes the books earlier when asked: conversations are cut at asOf', () => {
    const builder = new ReportBuilder();
    builder.applyAll(syntheticHistory().events.filter((e) => Date.parse((e.data as { at: string }).at) <= Date.parse(at(20))));
    const early = builder.finish(at(20));
    // c1 at 20: picked by B at 20 -> open 0-2, 15-20 (7 min); active 2-10 (8 min); waiting 10-15 (5 min)
    expect(early.conversations.find((r) => r.conversationId === 'c1')).toMatchObject({
      closed: false,
      status: 'active',
      lifetimeSeconds: 1200,
      openSeconds: 420,
      activeSeconds: 480,
      waitingSeconds: 300,
      handleSeconds: 480,
      handleSecondsByAgent: { [A]: 480, [B]: 0 },
    });
    // finish does not change the builder: the same call gives the same report
    expect(builder.finish(at(20))).toEqual(early);
  });

  it('gives the same report through replayReport on a store, whatever the page size', async () => {
    const store = new InMemoryEventStore();
    await syntheticHistory().writeTo(store);
    const progress: [number, number][] = [];
    const replayed = await replayReport(store, { now: at(END), batchSize: 7, onProgress: (done, total) => progress.push([done, total]) });
    expect(replayed).toEqual(report);
    const total = syntheticHistory().events.length;
    expect(progress.at(-1)).toEqual([total, total]);
    expect(progress).toHaveLength(Math.ceil(total / 7));
    expect(await replayReport(store, { now: at(END), batchSize: 1 })).toEqual(report);
  });

  it('rejects an event that skips a revision of its conversation', () => {
    const events = syntheticHistory().events;
    const builder = new ReportBuilder();
    const c1 = events.filter((e) => e.streamName === 'conversation-c1');
    builder.apply(c1[0]);
    expect(() => builder.apply(c1[2])).toThrow(/expected revision 1, got 2/);
  });

  it('ignores an event at or before the last position applied (an overlapping resumed read)', () => {
    const events = syntheticHistory().events;
    const builder = new ReportBuilder();
    builder.applyAll(events);
    builder.applyAll(events.slice(10));
    expect(builder.finish(at(END))).toEqual(report);
  });

  it('refuses an unknown event type in a conversation stream', () => {
    const builder = new ReportBuilder();
    expect(() =>
      builder.apply({ id: 'x', streamName: 'conversation-z', type: 'Mystery', data: {}, metadata: {}, revision: 0, position: 1 }),
    ).toThrow(/Unknown conversation event type Mystery/);
  });

  it('rejects an invalid capacity or asOf', () => {
    expect(() => new ReportBuilder({ agentCapacity: 0 })).toThrow(RangeError);
    expect(() => new ReportBuilder().finish('yesterday')).toThrow(/asOf/);
  });
});
