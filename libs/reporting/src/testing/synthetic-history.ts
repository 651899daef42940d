/**
 * Test-only: the hand-made history the report's numbers are checked against. Minutes are
 * counted from START (2026-03-01 23:30 UTC): minute 30 is 2026-03-02 00:00, so c1-c6 open on
 * day 1 and c7-c9 on day 2. Every command goes through the domain's decide.
 *
 *  c1 sms, queue-a, p0: waiting and revived (twice)
 *     0 open | 2 pick A | 10 A closes session -> waiting | 15 customer writes -> revived to queue
 *     20 pick B | 25 B closes session -> waiting | 30 B revives | 40 B ends -> wrap-up | 45 B closes
 *  c2 persistent_chat, queue-a, p1: transferred to an agent and to a queue
 *     5 open | 6 routing pushes to A | 7 A accepts | 8 A consults C | 9 C leaves
 *     12 A transfers to B | 18 B transfers to queue-b | 22 pick C | 32 C ends | 34 C closes
 *  c3 live_chat, queue-a, p0: abandoned from open
 *     3 open | 9 customer ends -> ConversationAbandonedByCustomer
 *  c4 live_chat, queue-b, p2: auto-closed
 *     10 open | 11 pick A | 20 customer ends -> wrap-up | 35 AutoClose(15 min) -> ConversationAutoClosed
 *  c5 persistent_chat, queue-b, p0: forced close by a supervisor
 *     12 open | 14 supervisor force-assigns to B | 16 supervisor monitors | 24 supervisor force-closes
 *  c6 teams, queue-a, p0: released, a push rejected, still in wrap-up at the end
 *     13 open | 16 pick C | 19 C releases | 21 routing pushes to A | 22 A rejects | 25 pick A | 30 A ends
 *  c7 record, queue-b, p0 (day 2): push reservation expired, resolved
 *     40 open | 41 routing pushes to B | 43 reservation expires (2 min) | 44 pick B | 50 B resolves
 *  c8 live_chat, queue-a, p3 (day 2): still open at the end
 *     50 open
 *  c9 live_chat, queue-a, p0 (day 2): abandoned while a push awaited acceptance
 *     52 open | 53 routing pushes to C | 55 customer ends -> ConversationAbandonedByCustomer
 *
 * Plus events on agent streams (not conversations) at minutes 1, 26 and 57.
 * The report is closed at minute 60 (END).
 */
import { supervisor, system } from '@lib/domain';
import { HistoryWriter, type CommandBody } from './history';

export const A = 'agent-a';
export const B = 'agent-b';
export const C = 'agent-c';
export const QA = 'queue-a';
export const QB = 'queue-b';
export const SUPERVISOR = 'supervisor-1';
export const END = 60;
export const FORCE_CLOSE_REASON = 'spam, "bot"\nloop';

const routing = system('routing');

const open = (id: string, channel: string, queueId: string, priority: number): CommandBody =>
  ({ type: 'OpenConversation', data: { conversationId: id, channel, queueId, customerId: `customer-${id}`, priority } }) as CommandBody;
const pick = (agentId: string): CommandBody => ({ type: 'PickConversation', data: { agentId } });
const push = (agentId: string): CommandBody => ({ type: 'AssignConversation', data: { agentId, force: false, by: routing } });
const closeSession = (agentId: string): CommandBody => ({ type: 'CloseSession', data: { agentId } });
const endByAgent = (agentId: string): CommandBody => ({ type: 'EndConversation', data: { by: 'agent', agentId } });
const endByCustomer: CommandBody = { type: 'EndConversation', data: { by: 'customer' } };

type Step = [minute: number, conversationId: string, body: CommandBody];

const SCRIPT: Step[] = [
  [0, 'c1', open('c1', 'sms', QA, 0)],
  [2, 'c1', pick(A)],
  [10, 'c1', closeSession(A)],
  [15, 'c1', { type: 'RecordMessage', data: { from: 'customer' } }],
  [20, 'c1', pick(B)],
  [25, 'c1', closeSession(B)],
  [30, 'c1', { type: 'ReviveConversation', data: { agentId: B } }],
  [40, 'c1', endByAgent(B)],
  [45, 'c1', closeSession(B)],

  [5, 'c2', open('c2', 'persistent_chat', QA, 1)],
  [6, 'c2', push(A)],
  [7, 'c2', { type: 'AcceptAssignment', data: { agentId: A } }],
  [8, 'c2', { type: 'StartConsult', data: { agentId: A, consultantId: C } }],
  [9, 'c2', { type: 'EndConsult', data: { consultantId: C } }],
  [12, 'c2', { type: 'TransferConversation', data: { agentId: A, toAgentId: B } }],
  [18, 'c2', { type: 'TransferConversation', data: { agentId: B, toQueueId: QB } }],
  [22, 'c2', pick(C)],
  [32, 'c2', endByAgent(C)],
  [34, 'c2', closeSession(C)],

  [3, 'c3', open('c3', 'live_chat', QA, 0)],
  [9, 'c3', endByCustomer],

  [10, 'c4', open('c4', 'live_chat', QB, 2)],
  [11, 'c4', pick(A)],
  [20, 'c4', endByCustomer],
  [35, 'c4', { type: 'AutoClose', data: { afterMs: 15 * 60_000 } }],

  [12, 'c5', open('c5', 'persistent_chat', QB, 0)],
  [14, 'c5', { type: 'AssignConversation', data: { agentId: B, force: true, by: supervisor(SUPERVISOR) } }],
  [16, 'c5', { type: 'StartMonitoring', data: { supervisorId: SUPERVISOR } }],
  [24, 'c5', { type: 'ForceClose', data: { supervisorId: SUPERVISOR, reason: FORCE_CLOSE_REASON } }],

  [13, 'c6', open('c6', 'teams', QA, 0)],
  [16, 'c6', pick(C)],
  [19, 'c6', { type: 'ReleaseConversation', data: { agentId: C } }],
  [21, 'c6', push(A)],
  [22, 'c6', { type: 'RejectAssignment', data: { agentId: A } }],
  [25, 'c6', pick(A)],
  [30, 'c6', endByAgent(A)],

  [40, 'c7', open('c7', 'record', QB, 0)],
  [41, 'c7', push(B)],
  [43, 'c7', { type: 'ExpirePushReservation', data: { timeoutMs: 2 * 60_000 } }],
  [44, 'c7', pick(B)],
  [50, 'c7', { type: 'ResolveRecord', data: { agentId: B } }],

  [50, 'c8', open('c8', 'live_chat', QA, 3)],

  [52, 'c9', open('c9', 'live_chat', QA, 0)],
  [53, 'c9', push(C)],
  [55, 'c9', endByCustomer],
];

const OTHER_STREAM_MINUTES = [1, 26, 57];

/** The synthetic history, in time order (steps at the same minute in script order). */
export function syntheticHistory(): HistoryWriter {
  const writer = new HistoryWriter();
  const steps = SCRIPT.map((step, index) => ({ step, index })).sort((a, b) => a.step[0] - b.step[0] || a.index - b.index);
  const others = [...OTHER_STREAM_MINUTES];
  for (const {
    step: [minute, conversationId, body],
  } of steps) {
    while (others.length > 0 && others[0] <= minute) writer.otherStream(`agent-${A}`, others.shift() as number);
    writer.run(conversationId, minute, body);
  }
  for (const minute of others) writer.otherStream(`agent-${A}`, minute);
  return writer;
}
