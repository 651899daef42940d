/**
 * The read-model views through HTTP only: queue view, queue counts, My work items, Closed work
 * items, audit index, their paging and errors, read-your-writes and health. Every query passes
 * the last command's `position` as `minPosition`, so no test sleeps while the projector catches up.
 * Each test gets its own application (fresh in-memory store and read models) and ManualClock.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel } from '@lib/domain';
import type { AuditEntry, ClosedWorkItem, MyWorkItem, QueueStatusCounts as QueueCounts, QueueWorkItem } from '@lib/read-models';
import { startApp, type TestApp } from './support/start-app';
import { ViewDriver, type CommandAnswer } from './support/view-driver';

const START = '2026-03-02T09:00:00.000Z';
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const at = (offsetMs: number): string => new Date(Date.parse(START) + offsetMs).toISOString();

let t: TestApp;
let d: ViewDriver;

beforeEach(async () => {
  t = await startApp({ clockStart: START });
  d = new ViewDriver(t);
});
afterEach(async () => {
  await t.close();
});

const queueItems = async (queueId: string, query = {}) => (await d.view<QueueWorkItem>(`/api/queues/${queueId}/work-items`, query)).items;
const queueIds = async (queueId: string) => (await queueItems(queueId)).map((i) => i.conversationId);
const myItems = async (agentId: string) => (await d.view<MyWorkItem>(`/api/agents/${agentId}/work-items`)).items;
const myIds = async (agentId: string) => (await myItems(agentId)).map((i) => i.conversationId);
const myItem = async (agentId: string, id: string) => (await myItems(agentId)).find((i) => i.conversationId === id);
const closedItems = async (agentId: string) => (await d.view<ClosedWorkItem>(`/api/agents/${agentId}/closed-work-items`)).items;
const closedIds = async (agentId: string) => (await closedItems(agentId)).map((i) => i.conversationId);
const audit = async (query = {}) => (await d.allPages<AuditEntry>('/api/audit', query)).items;
const counts = async () => (await d.allPages<QueueCounts>('/api/queues')).items;

/** The 400 answer's field at fault (also checks the error body's shape). */
const expect400 = async (path: string, query: Record<string, string | number>, field: string) => {
  const answer = await d.raw(path, query);
  expect({ path, query, statusCode: answer.statusCode }).toEqual({ path, query, statusCode: 400 });
  expect(answer.body).toMatchObject({ statusCode: 400, code: 'REQUEST.INVALID_FIELD', field, message: expect.stringContaining(field) });
};

describe('queue view GET /api/queues/:id/work-items', () => {
  it('lists the open items in routing order (priority desc, then longest waiting) with waitMs = now - queuedSince', async () => {
    await d.open('q-a', { queueId: 'sales', priority: 0, channel: 'live_chat' });
    d.advance(1000);
    await d.open('q-b', { queueId: 'sales', priority: 5, channel: 'sms' });
    d.advance(1000);
    await d.open('q-c', { queueId: 'sales', priority: 0, channel: 'voice' });
    d.advance(1000);
    await d.open('q-d', { queueId: 'sales', priority: 5, channel: 'record' });
    d.advance(1000);
    await d.open('q-other', { queueId: 'billing', priority: 9 });
    d.advance(4000); // now = START + 8 s

    const item = (id: string, channel: Channel, priority: number, sinceMs: number): QueueWorkItem => ({
      conversationId: id,
      queueId: 'sales',
      channel,
      customerId: `cust-${id}`,
      priority,
      queuedSince: at(sinceMs),
      waitMs: 8000 - sinceMs,
      unreadCustomerMessages: 0,
    });
    const expected = [
      item('q-b', 'sms', 5, 1000),
      item('q-d', 'record', 5, 3000),
      item('q-a', 'live_chat', 0, 0),
      item('q-c', 'voice', 0, 2000),
    ];
    expect(await d.view('/api/queues/sales/work-items')).toEqual({ items: expected });

    // waitMs is computed as of the clock at query time.
    d.advance(2500);
    expect((await queueItems('sales')).map((i) => [i.conversationId, i.waitMs])).toEqual([
      ['q-b', 9500],
      ['q-d', 7500],
      ['q-a', 10500],
      ['q-c', 8500],
    ]);

    // The other queue holds only its own item; an unknown queue is an empty list.
    expect(await queueIds('billing')).toEqual(['q-other']);
    expect(await d.view('/api/queues/nobody-here/work-items')).toEqual({ items: [] });

    // A customer message counts as unread and does not move the item.
    await d.customerMessage('q-a', 'open');
    await d.customerMessage('q-a', 'open');
    const afterMessages = await queueItems('sales');
    expect(afterMessages.map((i) => i.conversationId)).toEqual(['q-b', 'q-d', 'q-a', 'q-c']);
    expect(afterMessages[2]).toMatchObject({ unreadCustomerMessages: 2, queuedSince: at(0) });

    // Paged one by one: the same order.
    const paged = await d.allPages<QueueWorkItem>('/api/queues/sales/work-items', { limit: 1 });
    expect(paged.pages).toHaveLength(4);
    expect(paged.items.map((i) => i.conversationId)).toEqual(['q-b', 'q-d', 'q-a', 'q-c']);
  });

  it('ties on priority and time are broken by conversation id, stable across pages', async () => {
    for (const id of ['t-3', 't-1', 't-2']) await d.open(id, { queueId: 'ties', priority: 1 });
    await d.open('t-0', { queueId: 'ties', priority: 0 });
    expect(await queueIds('ties')).toEqual(['t-1', 't-2', 't-3', 't-0']);
    const paged = await d.allPages<QueueWorkItem>('/api/queues/ties/work-items', { limit: 2 });
    expect(paged.pages.map((p) => p.items.length)).toEqual([2, 2]);
    expect(paged.items.map((i) => i.conversationId)).toEqual(['t-1', 't-2', 't-3', 't-0']);
  });

  it('picked, pushed, waiting and closed items leave; released, rejected and transferred items come back (transfer: in the target queue)', async () => {
    for (const [id, channel] of [
      ['s1', 'sms'],
      ['s2', 'sms'],
      ['s3', 'live_chat'],
      ['s4', 'persistent_chat'],
      ['s5', 'sms'],
    ]) {
      await d.open(id, { queueId: 'sales', channel });
      d.advance(1000);
    }
    expect(await queueIds('sales')).toEqual(['s1', 's2', 's3', 's4', 's5']);

    await d.pick('s1', 'agent-1');
    expect(await queueIds('sales')).toEqual(['s2', 's3', 's4', 's5']);

    // Waiting (an async channel parked by its agent) is not in the queue.
    await d.pick('s4', 'agent-4');
    await d.closeSession('s4', 'agent-4', 'waiting');
    expect(await queueIds('sales')).toEqual(['s2', 's3', 's5']);

    // Closed from open (live-chat customer left) leaves the queue.
    await d.endByCustomer('s3', 'closed');
    expect(await queueIds('sales')).toEqual(['s2', 's5']);

    // Pushed to an agent (awaiting acceptance) is active: not in the queue.
    await d.assign('s5', 'agent-5');
    expect(await queueIds('sales')).toEqual(['s2']);

    // Released: back, queued since the release (behind the one that kept waiting).
    d.advance(10_000);
    const releasedAt = d.now;
    await d.release('s1', 'agent-1');
    expect(await queueIds('sales')).toEqual(['s2', 's1']);

    // Rejected push: back, after the released one.
    d.advance(1000);
    const rejectedAt = d.now;
    await d.reject('s5', 'agent-5');

    // Transferred to another queue: leaves this one, waits in the target from the transfer on.
    await d.pick('s2', 'agent-2');
    d.advance(1000);
    const transferredAt = d.now;
    await d.transferToQueue('s2', 'agent-2', 'billing');
    d.advance(3000);

    const sales = await queueItems('sales');
    expect(sales.map((i) => [i.conversationId, i.queuedSince, i.waitMs])).toEqual([
      ['s1', releasedAt, Date.parse(d.now) - Date.parse(releasedAt)],
      ['s5', rejectedAt, Date.parse(d.now) - Date.parse(rejectedAt)],
    ]);
    expect(await queueItems('billing')).toEqual([
      {
        conversationId: 's2',
        queueId: 'billing',
        channel: 'sms',
        customerId: 'cust-s2',
        priority: 0,
        queuedSince: transferredAt,
        waitMs: 3000,
        unreadCustomerMessages: 0,
      },
    ]);

    // The waiting one is in no queue at all.
    for (const queueId of ['sales', 'billing']) expect(await queueIds(queueId)).not.toContain('s4');
  });
});

describe('queue counts GET /api/queues', () => {
  it('counts conversations per status per queue across a scripted scenario', async () => {
    // alpha: one of each status, closed twice (worked, and abandoned from open).
    await d.open('a-open', { queueId: 'alpha' });
    await d.open('a-active', { queueId: 'alpha' });
    await d.pick('a-active', 'agent-1');
    await d.open('a-waiting', { queueId: 'alpha', channel: 'sms' });
    await d.pick('a-waiting', 'agent-1');
    await d.closeSession('a-waiting', 'agent-1', 'waiting');
    await d.open('a-wrap', { queueId: 'alpha' });
    await d.pick('a-wrap', 'agent-2');
    await d.endByAgent('a-wrap', 'agent-2');
    await d.open('a-closed', { queueId: 'alpha' });
    await d.pick('a-closed', 'agent-2');
    await d.endByAgent('a-closed', 'agent-2');
    await d.closeSession('a-closed', 'agent-2', 'closed');
    await d.open('a-abandoned', { queueId: 'alpha' });
    await d.endByCustomer('a-abandoned', 'closed');
    // beta: two open, one of them then transferred to gamma.
    await d.open('b-open', { queueId: 'beta' });
    await d.open('b-moved', { queueId: 'beta' });
    await d.pick('b-moved', 'agent-3');
    await d.transferToQueue('b-moved', 'agent-3', 'gamma');
    // gamma: one pushed (active, awaiting acceptance) and the transferred one (open).
    await d.open('g-pushed', { queueId: 'gamma' });
    await d.assign('g-pushed', 'agent-4');

    const zero = { open: 0, active: 0, waiting: 0, wrap_up: 0, closed: 0 };
    const expected: QueueCounts[] = [
      { queueId: 'alpha', open: 1, active: 1, waiting: 1, wrap_up: 1, closed: 2 },
      { queueId: 'beta', ...zero, open: 1 },
      { queueId: 'gamma', ...zero, open: 1, active: 1 },
    ];
    // Each queue also carries its settings and how many agents serve it.
    const withSettings = expected.map((counts) => expect.objectContaining({ ...counts, mode: 'pick', priority: 0 }));
    expect(await d.view('/api/queues')).toEqual({ items: withSettings });

    // Paged one queue at a time: the same, in queue id order (all have the same priority).
    const paged = await d.allPages<QueueCounts>('/api/queues', { limit: 1 });
    expect(paged.pages).toHaveLength(3);
    expect(paged.items).toEqual(withSettings);

    // Counts follow the transitions.
    await d.release('a-active', 'agent-1');
    await d.closeSession('a-wrap', 'agent-2', 'closed');
    await d.accept('g-pushed', 'agent-4');
    await d.pick('b-open', 'agent-5');
    expect(await counts()).toEqual(
      [
        { queueId: 'alpha', open: 2, active: 0, waiting: 1, wrap_up: 0, closed: 3 },
        { queueId: 'beta', ...zero, active: 1 },
        { queueId: 'gamma', ...zero, open: 1, active: 1 },
      ].map((counts) => expect.objectContaining(counts)),
    );
  });
});

describe('My work items GET /api/agents/:id/work-items', () => {
  /** ann: active (m1), waiting (m2), wrap-up (m3), pushed not yet accepted (m4); bob: m5. */
  const scenario = async () => {
    const since: Record<string, string> = {};
    await d.open('m1', { channel: 'live_chat', queueId: 'support' });
    since.m1 = d.now;
    await d.pick('m1', 'ann');
    d.advance(1000);
    await d.open('m2', { channel: 'persistent_chat', queueId: 'chat' });
    await d.pick('m2', 'ann');
    d.advance(1000);
    since.m2 = d.now;
    await d.closeSession('m2', 'ann', 'waiting');
    d.advance(1000);
    await d.open('m3', { channel: 'sms', queueId: 'support' });
    await d.pick('m3', 'ann');
    d.advance(1000);
    since.m3 = d.now;
    await d.endByAgent('m3', 'ann');
    d.advance(1000);
    await d.open('m4', { channel: 'voice', queueId: 'phone' });
    since.m4 = d.now;
    await d.assign('m4', 'ann');
    d.advance(1000);
    await d.open('m5', { channel: 'live_chat', queueId: 'support' });
    since.m5 = d.now;
    await d.pick('m5', 'bob');
    d.advance(1000);
    return since;
  };

  it("lists that agent's active, waiting and wrap-up items only, with status, statusSince, channel, customerId and awaitingAcceptance", async () => {
    const since = await scenario();
    const item = (id: string, status: MyWorkItem['status'], channel: Channel, queueId: string, awaitingAcceptance = false): MyWorkItem => ({
      conversationId: id,
      status,
      statusSince: since[id],
      channel,
      queueId,
      customerId: `cust-${id}`,
      unreadCustomerMessages: 0,
      awaitingAcceptance,
    });
    expect(await d.view('/api/agents/ann/work-items')).toEqual({
      items: [
        item('m1', 'active', 'live_chat', 'support'),
        item('m2', 'waiting', 'persistent_chat', 'chat'),
        item('m3', 'wrap_up', 'sms', 'support'),
        item('m4', 'active', 'voice', 'phone', true),
      ],
    });
    expect(await d.view('/api/agents/bob/work-items')).toEqual({ items: [item('m5', 'active', 'live_chat', 'support')] });
    expect(await d.view('/api/agents/nobody/work-items')).toEqual({ items: [] });

    // Paged by two: the same items, no duplicates.
    const paged = await d.allPages<MyWorkItem>('/api/agents/ann/work-items', { limit: 2 });
    expect(paged.pages.map((p) => p.items.length)).toEqual([2, 2]);
    expect(paged.items.map((i) => i.conversationId)).toEqual(['m1', 'm2', 'm3', 'm4']);

    // Accepting the push clears awaitingAcceptance.
    await d.accept('m4', 'ann');
    expect(await myItem('ann', 'm4')).toMatchObject({ status: 'active', awaitingAcceptance: false, statusSince: since.m4 });
  });

  it('unreadCustomerMessages counts customer messages up and an agent message resets it', async () => {
    await scenario();
    for (const n of [1, 2, 3]) {
      await d.customerMessage('m1', 'active');
      expect(await myItem('ann', 'm1')).toMatchObject({ unreadCustomerMessages: n, status: 'active' });
    }
    await d.agentMessage('m1', 'ann');
    expect(await myItem('ann', 'm1')).toMatchObject({ unreadCustomerMessages: 0 });
    await d.customerMessage('m1', 'active');
    expect(await myItem('ann', 'm1')).toMatchObject({ unreadCustomerMessages: 1 });
    // Counts are per conversation.
    expect((await myItems('ann')).filter((i) => i.conversationId !== 'm1').map((i) => i.unreadCustomerMessages)).toEqual([0, 0, 0]);
    // A push not yet accepted counts the customer's messages too.
    await d.customerMessage('m4', 'active');
    expect(await myItem('ann', 'm4')).toMatchObject({ unreadCustomerMessages: 1, awaitingAcceptance: true });
  });

  it('items leave when closed or released, move on transfer to another agent, and revive back to active', async () => {
    const since = await scenario();
    await d.closeSession('m3', 'ann', 'closed');
    expect(await myIds('ann')).toEqual(['m1', 'm2', 'm4']);

    await d.release('m1', 'ann');
    expect(await myIds('ann')).toEqual(['m2', 'm4']);
    expect(await queueIds('support')).toEqual(['m1']);

    await d.accept('m4', 'ann');
    await d.transferToAgent('m4', 'ann', 'bob');
    expect(await myIds('ann')).toEqual(['m2']);
    const bobs = await myItems('bob');
    expect(bobs.map((i) => i.conversationId).sort()).toEqual(['m4', 'm5']);
    expect(bobs.find((i) => i.conversationId === 'm4')).toMatchObject({
      status: 'active',
      awaitingAcceptance: false,
      channel: 'voice',
      queueId: 'phone',
    });

    d.advance(1000);
    const revivedAt = d.now;
    await d.revive('m2', 'ann');
    expect(await myItems('ann')).toEqual([
      {
        conversationId: 'm2',
        status: 'active',
        statusSince: revivedAt,
        channel: 'persistent_chat',
        queueId: 'chat',
        customerId: 'cust-m2',
        unreadCustomerMessages: 0,
        awaitingAcceptance: false,
      },
    ]);
    expect(revivedAt > since.m2).toBe(true);

    // Force closed by a supervisor: leaves bob's list.
    await d.forceClose('m5', 'sup-1', 'customer_request_by_phone');
    expect(await myIds('bob')).toEqual(['m4']);
  });

  it('a waiting item counts customer messages after the revive window; within it the customer revives it back to the queue', async () => {
    await d.open('w1', { channel: 'sms', queueId: 'texts' });
    await d.pick('w1', 'ann');
    await d.closeSession('w1', 'ann', 'waiting');
    await d.open('w2', { channel: 'sms', queueId: 'texts' });
    await d.pick('w2', 'ann');
    await d.closeSession('w2', 'ann', 'waiting');

    // Within the revive window: the customer's message puts w1 back in its queue, unread carried.
    d.advance(HOUR);
    await d.customerMessage('w1', 'open');
    expect(await myIds('ann')).toEqual(['w2']);
    expect(await queueItems('texts')).toEqual([
      expect.objectContaining({ conversationId: 'w1', queuedSince: d.now, waitMs: 0, unreadCustomerMessages: 1 }),
    ]);

    // After the window (24 h default): it stays waiting with the agent, the message counted.
    d.advance(DAY);
    await d.customerMessage('w2', 'waiting');
    expect(await myItems('ann')).toEqual([expect.objectContaining({ conversationId: 'w2', status: 'waiting', unreadCustomerMessages: 1 })]);
    await d.agentMessage('w2', 'ann');
    expect(await myItem('ann', 'w2')).toMatchObject({ status: 'waiting', unreadCustomerMessages: 0 });
  });
});

describe('Closed work items GET /api/agents/:id/closed-work-items', () => {
  it('lists the items closed in the last 24 hours as of the clock, most recent first; older ones drop out', async () => {
    const closedAt: Record<string, string> = {};
    // c1: worked, ended, closed by ann after wrap-up.
    await d.open('c1', { channel: 'live_chat', queueId: 'support' });
    await d.pick('c1', 'ann');
    d.advance(60_000);
    await d.endByAgent('c1', 'ann');
    d.advance(60_000);
    closedAt.c1 = d.now;
    await d.closeSession('c1', 'ann', 'closed');
    // c2: held by ann, force closed by a supervisor.
    d.advance(HOUR);
    await d.open('c2', { channel: 'sms', queueId: 'texts' });
    await d.pick('c2', 'ann');
    closedAt.c2 = d.now;
    await d.forceClose('c2', 'sup-1', 'duplicate_request');
    // c3: abandoned from open: nobody held it, so it is nobody's closed item.
    d.advance(HOUR);
    await d.open('c3', { channel: 'live_chat', queueId: 'support' });
    await d.endByCustomer('c3', 'closed');
    // c4: a record resolved by ann.
    d.advance(HOUR);
    await d.open('c4', { channel: 'record', queueId: 'cases' });
    await d.pick('c4', 'ann');
    closedAt.c4 = d.now;
    await d.resolve('c4', 'ann');
    // c5: pushed to ann, the live-chat customer left before she accepted.
    d.advance(HOUR);
    await d.open('c5', { channel: 'live_chat', queueId: 'support' });
    await d.assign('c5', 'ann');
    closedAt.c5 = d.now;
    await d.endByCustomer('c5', 'closed');
    // c6: bob's.
    await d.open('c6', { channel: 'sms', queueId: 'texts' });
    await d.pick('c6', 'bob');
    await d.endByAgent('c6', 'bob');
    await d.closeSession('c6', 'bob', 'closed');

    expect(await d.view('/api/agents/ann/closed-work-items')).toEqual({
      items: [
        {
          conversationId: 'c5',
          agentId: 'ann',
          channel: 'live_chat',
          queueId: 'support',
          customerId: 'cust-c5',
          closedAt: closedAt.c5,
          closedBy: { kind: 'customer', id: 'cust-c5' },
          closeReason: 'customer_ended',
        },
        {
          conversationId: 'c4',
          agentId: 'ann',
          channel: 'record',
          queueId: 'cases',
          customerId: 'cust-c4',
          closedAt: closedAt.c4,
          closedBy: { kind: 'agent', id: 'ann' },
          closeReason: 'agent_resolved_record',
        },
        {
          conversationId: 'c2',
          agentId: 'ann',
          channel: 'sms',
          queueId: 'texts',
          customerId: 'cust-c2',
          closedAt: closedAt.c2,
          closedBy: { kind: 'supervisor', id: 'sup-1' },
          closeReason: 'duplicate_request',
        },
        {
          conversationId: 'c1',
          agentId: 'ann',
          channel: 'live_chat',
          queueId: 'support',
          customerId: 'cust-c1',
          closedAt: closedAt.c1,
          closedBy: { kind: 'agent', id: 'ann' },
          closeReason: 'agent_closed_session_after_wrap_up',
        },
      ],
    });
    expect(await closedIds('bob')).toEqual(['c6']);
    expect(await closedIds('nobody')).toEqual([]);
    // Closed items are not in My work items any more.
    expect(await myIds('ann')).toEqual([]);

    // Paged by three: 3 + 1, same order.
    const paged = await d.allPages<ClosedWorkItem>('/api/agents/ann/closed-work-items', { limit: 3 });
    expect(paged.pages.map((p) => p.items.length)).toEqual([3, 1]);
    expect(paged.items.map((i) => i.conversationId)).toEqual(['c5', 'c4', 'c2', 'c1']);

    // 1 ms before c1 is 24 h old it is still listed; 24 h + 1 ms after its close it is gone.
    t.clock.set(new Date(Date.parse(closedAt.c1) + DAY - 1));
    expect(await closedIds('ann')).toEqual(['c5', 'c4', 'c2', 'c1']);
    t.clock.set(new Date(Date.parse(closedAt.c1) + DAY + 1));
    expect(await closedIds('ann')).toEqual(['c5', 'c4', 'c2']);
    // Advancing by 24 h + 1 ms past the last close empties the list.
    t.clock.set(new Date(Date.parse(closedAt.c5) + DAY + 1));
    expect(await closedIds('ann')).toEqual([]);
    expect(await closedIds('bob')).toEqual([]);
  });

  it('an item closed now appears at once and is gone once the clock is advanced by 24 h + 1 ms', async () => {
    await d.open('x1', { channel: 'sms' });
    await d.pick('x1', 'ann');
    await d.endByAgent('x1', 'ann');
    const closedNow = d.now;
    await d.closeSession('x1', 'ann', 'closed');
    expect(await closedItems('ann')).toEqual([expect.objectContaining({ conversationId: 'x1', closedAt: closedNow })]);
    d.advance(DAY + 1);
    expect(await closedItems('ann')).toEqual([]);
  });
});

describe('Closed work items with the prune timer running', () => {
  it('pruning keeps the items still inside the 24 h window', async () => {
    const pruning = await startApp({ clockStart: START, env: { CLOSED_WORK_ITEMS_PRUNE_INTERVAL: '10ms' } });
    try {
      const p = new ViewDriver(pruning);
      await p.open('y1', { channel: 'sms' });
      await p.pick('y1', 'ann');
      await p.endByAgent('y1', 'ann');
      const closedAt = p.now;
      await p.closeSession('y1', 'ann', 'closed');
      pruning.clock.set(new Date(Date.parse(closedAt) + DAY - 1));
      // Real time for several prune ticks (a timer, not the projector: minPosition cannot wait for it).
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await p.view<ClosedWorkItem>('/api/agents/ann/closed-work-items')).items.map((i) => i.conversationId)).toEqual(['y1']);
      pruning.clock.advance(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await p.view<ClosedWorkItem>('/api/agents/ann/closed-work-items')).items).toEqual([]);
      expect((await pruning.get('/health')).statusCode).toBe(200);
    } finally {
      await pruning.close();
    }
  });
});

describe('audit GET /api/audit', () => {
  /** Every command below writes exactly one event, one second apart. */
  const scenario = async (): Promise<Record<string, CommandAnswer & { at: string }>> => {
    const steps: Array<[string, () => Promise<CommandAnswer>]> = [
      ['A.open', () => d.open('A', { channel: 'live_chat' })],
      ['B.open', () => d.open('B', { channel: 'sms' })],
      ['A.pick', () => d.pick('A', 'ann')],
      ['A.msg', () => d.customerMessage('A', 'active')],
      ['B.pick', () => d.pick('B', 'bob')],
      ['A.xfer', () => d.transferToAgent('A', 'ann', 'bob')],
      ['C.open', () => d.open('C', { channel: 'voice' })],
      ['A.end', () => d.endByAgent('A', 'bob')],
      ['B.close', () => d.forceClose('B', 'sup-1', 'spam')],
      ['A.closed', () => d.closeSession('A', 'bob', 'closed')],
      ['C.monitor', () => d.monitor('C', 'sup-2')],
    ];
    const done: Record<string, CommandAnswer & { at: string }> = {};
    for (const [label, run] of steps) {
      const sentAt = d.now;
      const answer = await run();
      done[label] = { ...answer, at: sentAt };
      d.advance(1000);
    }
    return done;
  };

  const entryOf = (
    e: CommandAnswer & { at: string },
    type: string,
    actorKind: string,
    actorId: string,
    reason: string,
    agentIds: string[],
  ): AuditEntry => ({
    position: e.position,
    conversationId: e.id,
    revision: e.revision,
    type,
    at: e.at,
    actorKind,
    actorId,
    reason,
    agentIds,
  });

  it('answers by conversation, by agent (actor or holder), by time window and combined, ordered by position', async () => {
    const s = await scenario();
    const E = {
      'A.open': entryOf(s['A.open'], 'ConversationOpened', 'customer', 'cust-A', 'customer_started', []),
      'B.open': entryOf(s['B.open'], 'ConversationOpened', 'customer', 'cust-B', 'customer_started', []),
      'A.pick': entryOf(s['A.pick'], 'ConversationPicked', 'agent', 'ann', 'agent_picked_from_queue', ['ann']),
      'A.msg': entryOf(s['A.msg'], 'CustomerMessageReceived', 'customer', 'cust-A', 'customer_wrote', ['ann']),
      'B.pick': entryOf(s['B.pick'], 'ConversationPicked', 'agent', 'bob', 'agent_picked_from_queue', ['bob']),
      'A.xfer': entryOf(s['A.xfer'], 'ConversationTransferredToAgent', 'agent', 'ann', 'agent_transferred_to_agent', ['ann', 'bob']),
      'C.open': entryOf(s['C.open'], 'ConversationOpened', 'customer', 'cust-C', 'customer_started', []),
      'A.end': entryOf(s['A.end'], 'ConversationEndedByAgent', 'agent', 'bob', 'agent_pressed_end', ['bob']),
      'B.close': entryOf(s['B.close'], 'ConversationForceClosed', 'supervisor', 'sup-1', 'spam', ['bob']),
      'A.closed': entryOf(s['A.closed'], 'ConversationWrapUpCompleted', 'agent', 'bob', 'agent_closed_session_after_wrap_up', ['bob']),
      'C.monitor': entryOf(s['C.monitor'], 'MonitoringStarted', 'supervisor', 'sup-2', 'supervisor_started_monitoring', []),
    };
    const pick = (...labels: Array<keyof typeof E>) => labels.map((l) => E[l]);

    // Everything, in log order: every conversation event of the log (agents' and queues' own
    // streams are not conversation history), none missing.
    const all = await audit();
    expect(all).toEqual(Object.values(E));
    const conversationPositions = (await t.store.readAll()).filter((e) => e.streamName.startsWith('conversation-')).map((e) => e.position);
    expect(all.map((e) => e.position)).toEqual(conversationPositions);

    // By conversation: its events with revisions 0..n, as the conversation's own history says.
    const byA = await audit({ conversationId: 'A' });
    expect(byA).toEqual(pick('A.open', 'A.pick', 'A.msg', 'A.xfer', 'A.end', 'A.closed'));
    expect(byA.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
    const history = await t.get(`/api/conversations/A/history`);
    expect(history.statusCode).toBe(200);
    expect(byA.map((e) => [e.type, e.revision, e.at])).toEqual(
      history.body.events.map((e: { type: string; revision: number; at: string }) => [e.type, e.revision, e.at]),
    );
    expect(await audit({ conversationId: 'C' })).toEqual(pick('C.open', 'C.monitor'));
    expect(await audit({ conversationId: 'nothing' })).toEqual([]);

    // By agent: the events where the agent acted or held the conversation (or was the transfer's target).
    expect(await audit({ agentId: 'ann' })).toEqual(pick('A.pick', 'A.msg', 'A.xfer'));
    expect(await audit({ agentId: 'bob' })).toEqual(pick('B.pick', 'A.xfer', 'A.end', 'B.close', 'A.closed'));
    expect(await audit({ agentId: 'sup-1' })).toEqual([]);

    // By time: from inclusive, to exclusive.
    expect(await audit({ from: s['A.msg'].at, to: s['A.end'].at })).toEqual(pick('A.msg', 'B.pick', 'A.xfer', 'C.open'));
    expect(await audit({ from: s['A.closed'].at })).toEqual(pick('A.closed', 'C.monitor'));
    expect(await audit({ to: s['A.pick'].at })).toEqual(pick('A.open', 'B.open'));
    expect(await audit({ from: s['A.msg'].at, to: s['A.msg'].at })).toEqual([]);
    // A time with an offset means the same instant.
    expect(await audit({ from: '2026-03-02T10:00:03+01:00', to: '2026-03-02T10:00:05+01:00' })).toEqual(pick('A.msg', 'B.pick'));

    // Combined.
    expect(await audit({ agentId: 'bob', conversationId: 'A' })).toEqual(pick('A.xfer', 'A.end', 'A.closed'));
    expect(await audit({ agentId: 'bob', from: s['A.xfer'].at, to: s['A.closed'].at })).toEqual(pick('A.xfer', 'A.end', 'B.close'));
    expect(await audit({ conversationId: 'B', from: s['B.pick'].at })).toEqual(pick('B.pick', 'B.close'));
  });

  it('a from/to without a UTC offset does not depend on the server timezone: read as UTC, or refused naming the field', async () => {
    const s = await scenario();
    const expected = await audit({ from: s['A.msg'].at, to: s['A.end'].at });
    expect(expected).toHaveLength(4);
    // The same instants, written without an offset (valid ISO-8601, so accepted by the DTO).
    const cases: Array<[string, Record<string, string>]> = [
      ['from', { from: s['A.msg'].at.replace(/\.000Z$/, ''), to: s['A.end'].at }],
      ['to', { from: s['A.msg'].at, to: s['A.end'].at.replace(/\.000Z$/, '') }],
    ];
    for (const [field, query] of cases) {
      const answer = await d.raw('/api/audit', { ...query, minPosition: d.position });
      if (answer.statusCode === 400) {
        expect(answer.body).toMatchObject({ field });
      } else {
        expect({ field, statusCode: answer.statusCode, items: answer.body.items }).toEqual({ field, statusCode: 200, items: expected });
      }
    }
  });

  it('limit=2 walks every page via nextCursor with no duplicates or gaps; the last page has no nextCursor', async () => {
    const s = await scenario();
    const everything = await audit();
    expect(everything).toHaveLength(Object.keys(s).length);

    const walk = async (query: Record<string, string | number>, expected: AuditEntry[]) => {
      const { items, pages } = await d.allPages<AuditEntry>('/api/audit', { ...query, limit: 2 });
      const sizes = pages.map((p) => p.items.length);
      expect(sizes.slice(0, -1).every((n) => n === 2)).toBe(true);
      expect(sizes[sizes.length - 1]).toBeGreaterThan(0);
      expect(pages.slice(0, -1).every((p) => typeof p.nextCursor === 'string')).toBe(true);
      expect(pages[pages.length - 1]).not.toHaveProperty('nextCursor');
      expect(new Set(items.map((e) => e.position)).size).toBe(items.length);
      expect(items).toEqual(expected);
      return pages.length;
    };
    expect(await walk({}, everything)).toBe(6); // 11 = 2+2+2+2+2+1
    expect(
      await walk(
        { agentId: 'bob' },
        everything.filter((e) => e.agentIds.includes('bob')),
      ),
    ).toBe(3);
    expect(
      await walk(
        { conversationId: 'A' },
        everything.filter((e) => e.conversationId === 'A'),
      ),
    ).toBe(3); // exactly 2+2+2
    expect(await walk({ from: s['B.open'].at, to: s['C.monitor'].at }, everything.slice(1, 10))).toBe(5);

    // Exactly one full page: no nextCursor.
    const three = await d.view<AuditEntry>('/api/audit', { agentId: 'ann', limit: 3 });
    expect(three.items).toHaveLength(3);
    expect(three).not.toHaveProperty('nextCursor');

    // Events written between two pages show up on a later page: nothing skipped, nothing repeated.
    const first = await d.view<AuditEntry>('/api/audit', { conversationId: 'C', limit: 1 });
    expect(first.items.map((e) => e.type)).toEqual(['ConversationOpened']);
    const late = await d.customerMessage('C', 'open');
    const rest = await d.allPages<AuditEntry>('/api/audit', { conversationId: 'C', limit: 1, cursor: first.nextCursor });
    expect(rest.items.map((e) => [e.type, e.position])).toEqual([
      ['MonitoringStarted', s['C.monitor'].position],
      ['CustomerMessageReceived', late.position],
    ]);
  });
});

describe('errors', () => {
  const LISTS = [
    '/api/queues',
    '/api/queues/sales/work-items',
    '/api/agents/ann/work-items',
    '/api/agents/ann/closed-work-items',
    '/api/audit',
  ];

  it('limit 0, 501, 1.5 or not a number answers 400 naming limit on every list', async () => {
    await d.open('e1');
    for (const path of LISTS) {
      for (const limit of ['0', '501', '1.5', '-1', 'ten']) await expect400(path, { limit }, 'limit');
    }
    // The bounds themselves are fine.
    for (const path of LISTS) {
      for (const limit of [1, 500]) expect((await d.raw(path, { limit })).statusCode).toBe(200);
    }
  });

  it('a garbage cursor answers 400 naming cursor on every list', async () => {
    await d.open('e1');
    const garbage = [
      'garbage',
      '!!!',
      'eyJub3QiOiJhIGN1cnNvciJ9',
      Buffer.from('{"l":"audit","k":["x"]}').toString('base64url'),
      'x'.repeat(5000),
    ];
    for (const path of LISTS) {
      for (const cursor of garbage) await expect400(path, { cursor }, 'cursor');
    }
  });

  it('a cursor from another list answers 400 naming cursor', async () => {
    // sales: two open; other: one open; ann: two active and two closed.
    await d.open('k1', { queueId: 'sales' });
    await d.open('k2', { queueId: 'sales' });
    await d.open('k3', { queueId: 'other' });
    for (const id of ['k4', 'k5', 'k6', 'k7']) {
      await d.open(id, { queueId: 'work' });
      await d.pick(id, 'ann');
    }
    for (const id of ['k6', 'k7']) {
      await d.endByAgent(id, 'ann');
      await d.closeSession(id, 'ann', 'closed');
    }
    const cursorOf = async (path: string, query = {}) => {
      const page = await d.view(path, { ...query, limit: 1 });
      expect(typeof page.nextCursor).toBe('string');
      return page.nextCursor as string;
    };
    const cursors = {
      queue: await cursorOf('/api/queues/sales/work-items'),
      queues: await cursorOf('/api/queues'),
      mine: await cursorOf('/api/agents/ann/work-items'),
      closed: await cursorOf('/api/agents/ann/closed-work-items'),
      audit: await cursorOf('/api/audit'),
    };
    // Each cursor works on its own list...
    expect((await d.raw('/api/queues/sales/work-items', { cursor: cursors.queue })).statusCode).toBe(200);
    expect((await d.raw('/api/audit', { cursor: cursors.audit })).statusCode).toBe(200);
    // ...and on no other.
    await expect400('/api/audit', { cursor: cursors.queue }, 'cursor');
    await expect400('/api/audit', { cursor: cursors.mine }, 'cursor');
    await expect400('/api/queues', { cursor: cursors.audit }, 'cursor');
    await expect400('/api/queues/sales/work-items', { cursor: cursors.queues }, 'cursor');
    await expect400('/api/queues/other/work-items', { cursor: cursors.queue }, 'cursor');
    await expect400('/api/agents/ann/work-items', { cursor: cursors.closed }, 'cursor');
    await expect400('/api/agents/bob/work-items', { cursor: cursors.mine }, 'cursor');
    await expect400('/api/agents/bob/closed-work-items', { cursor: cursors.closed }, 'cursor');
    await expect400('/api/agents/ann/closed-work-items', { cursor: cursors.audit }, 'cursor');
  });

  it('from / to that are not times answer 400 naming the parameter', async () => {
    await d.open('e1');
    for (const from of ['not-a-date', '2026-13-45T00:00:00Z', '12345']) await expect400('/api/audit', { from }, 'from');
    await expect400('/api/audit', { to: 'yesterday' }, 'to');
    await expect400('/api/audit', { agentId: 'not valid!' }, 'agentId');
    await expect400('/api/audit', { conversationId: '' }, 'conversationId');
  });

  it('minPosition beyond the log head, negative or not a number answers 400 naming minPosition', async () => {
    const last = await d.open('e1');
    for (const path of LISTS) {
      await expect400(path, { minPosition: last.position + 1 }, 'minPosition');
      await expect400(path, { minPosition: 1_000_000 }, 'minPosition');
      await expect400(path, { minPosition: -1 }, 'minPosition');
      await expect400(path, { minPosition: 'soon' }, 'minPosition');
      expect((await d.raw(path, { minPosition: last.position })).statusCode).toBe(200);
      expect((await d.raw(path, { minPosition: 0 })).statusCode).toBe(200);
    }
  });

  it('unknown routes answer 404, bad path ids 400; none of the errors stop the app', async () => {
    await d.open('e1', { queueId: 'sales' });
    for (const path of ['/api/queue', '/api/queues/sales/items', '/api/agents/ann/work-item', '/api/audits']) {
      // No OpenAPI document describes a route that does not exist: not checked against it.
      const answer = await t.request({ method: 'GET', url: path, checkAnswer: false });
      expect({ path, statusCode: answer.statusCode }).toEqual({ path, statusCode: 404 });
      expect(answer.body).toMatchObject({ statusCode: 404, code: 'ROUTE.NOT_FOUND' });
    }
    await expect400('/api/queues/bad%20queue/work-items', {}, 'id');
    await expect400('/api/agents/bad!agent/work-items', {}, 'id');
    await expect400('/api/agents/bad!agent/closed-work-items', {}, 'id');
    // A burst of bad requests of every kind...
    for (const path of LISTS) {
      await d.raw(path, { limit: 0 });
      await d.raw(path, { cursor: '%%%' });
      await d.raw(path, { minPosition: 99 });
    }
    await d.raw('/api/audit', { from: 'x' });
    // ...and the service still answers and still projects.
    expect((await t.get('/health')).statusCode).toBe(200);
    await d.open('e2', { queueId: 'sales' });
    expect(await queueIds('sales')).toEqual(['e1', 'e2']);
    expect((await audit()).map((e) => e.conversationId)).toEqual(['e1', 'e2']);
  });
});

describe('read your writes', () => {
  it('20 commands in a row: a query with minPosition = the command position sees each effect at once', async () => {
    const checks: Array<[string, () => Promise<CommandAnswer>, () => Promise<void>]> = [
      ['open', () => d.open('r1', { queueId: 'q1' }), async () => expect(await queueIds('q1')).toEqual(['r1'])],
      [
        'customer message',
        () => d.customerMessage('r1', 'open'),
        async () => expect((await queueItems('q1'))[0].unreadCustomerMessages).toBe(1),
      ],
      [
        'assign',
        () => d.assign('r1', 'ann'),
        async () => expect(await myItem('ann', 'r1')).toMatchObject({ awaitingAcceptance: true, unreadCustomerMessages: 1 }),
      ],
      ['accept', () => d.accept('r1', 'ann'), async () => expect(await myItem('ann', 'r1')).toMatchObject({ awaitingAcceptance: false })],
      [
        'customer message',
        () => d.customerMessage('r1', 'active'),
        async () => expect(await myItem('ann', 'r1')).toMatchObject({ unreadCustomerMessages: 2 }),
      ],
      [
        'agent message',
        () => d.agentMessage('r1', 'ann'),
        async () => expect(await myItem('ann', 'r1')).toMatchObject({ unreadCustomerMessages: 0 }),
      ],
      ['release', () => d.release('r1', 'ann'), async () => expect(await queueIds('q1')).toEqual(['r1'])],
      ['pick', () => d.pick('r1', 'bob'), async () => expect(await myIds('bob')).toEqual(['r1'])],
      ['transfer to queue', () => d.transferToQueue('r1', 'bob', 'q2'), async () => expect(await queueIds('q2')).toEqual(['r1'])],
      ['pick', () => d.pick('r1', 'ann'), async () => expect(await myIds('ann')).toEqual(['r1'])],
      ['transfer to agent', () => d.transferToAgent('r1', 'ann', 'bob'), async () => expect(await myIds('bob')).toEqual(['r1'])],
      ['end', () => d.endByAgent('r1', 'bob'), async () => expect(await myItem('bob', 'r1')).toMatchObject({ status: 'wrap_up' })],
      ['close-session', () => d.closeSession('r1', 'bob', 'closed'), async () => expect(await closedIds('bob')).toEqual(['r1'])],
      [
        'open',
        () => d.open('r2', { queueId: 'q3', channel: 'persistent_chat' }),
        async () => expect(await counts()).toContainEqual(expect.objectContaining({ queueId: 'q3', open: 1 })),
      ],
      ['pick', () => d.pick('r2', 'cid'), async () => expect(await myItem('cid', 'r2')).toMatchObject({ status: 'active' })],
      [
        'close-session',
        () => d.closeSession('r2', 'cid', 'waiting'),
        async () => expect(await myItem('cid', 'r2')).toMatchObject({ status: 'waiting' }),
      ],
      [
        'agent message',
        () => d.agentMessage('r2', 'cid'),
        async () => expect((await audit({ conversationId: 'r2' })).at(-1)?.type).toBe('AgentMessageSent'),
      ],
      ['revive', () => d.revive('r2', 'cid'), async () => expect(await myItem('cid', 'r2')).toMatchObject({ status: 'active' })],
      [
        'monitor',
        () => d.monitor('r2', 'sup-1'),
        async () => expect((await audit({ conversationId: 'r2' })).at(-1)?.type).toBe('MonitoringStarted'),
      ],
      [
        'force close',
        () => d.forceClose('r2', 'sup-1', 'test'),
        async () =>
          expect(await closedItems('cid')).toEqual([
            expect.objectContaining({ conversationId: 'r2', closedBy: { kind: 'supervisor', id: 'sup-1' } }),
          ]),
      ],
    ];
    expect(checks).toHaveLength(20);
    for (const [, command, check] of checks) {
      const answer = await command();
      await check();
      // The audit index has it too, as its newest entry.
      const entries = await audit({ conversationId: answer.id });
      expect(entries[entries.length - 1].position).toBe(answer.position);
    }
  });

  it('20 customer messages in a row, each counted at once', async () => {
    await d.open('burst', { queueId: 'q1' });
    for (let n = 1; n <= 20; n++) {
      const answer = await d.customerMessage('burst', 'open');
      const page = await t.get(`/api/queues/q1/work-items?minPosition=${answer.position}`);
      expect(page.statusCode).toBe(200);
      expect(page.body.items[0].unreadCustomerMessages).toBe(n);
    }
  });
});

describe('health GET /health', () => {
  it('lists every projection with status ok and positions at the head after commands', async () => {
    await d.open('h1');
    await d.pick('h1', 'ann');
    await d.customerMessage('h1', 'active');
    await d.endByAgent('h1', 'ann');
    // The end also blocked ann's capacity for wrap-up on her own stream: the head is that event.
    const head = await t.store.headPosition();
    // Wait for the views through the documented mechanism, then read health.
    d.position = head;
    await d.view('/api/agents/ann/work-items');
    const health = await t.get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      checks: {
        eventStore: { status: 'ok', headPosition: head },
        projections: expect.any(Array),
        // The suites start apps with TIMERS=off unless they test timers.
        timers: { status: 'off' },
        routing: { status: 'off' },
      },
    });
    const projections = [...health.body.checks.projections].sort((a: { name: string }, b: { name: string }) =>
      a.name.localeCompare(b.name),
    );
    expect(projections).toEqual([
      { name: 'agents_and_queues', status: 'ok', position: head },
      { name: 'audit_index', status: 'ok', position: head },
      { name: 'conversation_timers', status: 'ok', position: head },
      { name: 'conversation_views', status: 'ok', position: head },
      { name: 'live_kpis', status: 'ok', position: head },
    ]);
  });
});

describe('with the sqlite store', () => {
  it('keeps the read models in DATA_DIR/read-models.sqlite; after a restart the views are intact and keep projecting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'views-e2e-'));
    try {
      let app = await startApp({ store: 'sqlite', dataDir, clockStart: START });
      let driver = new ViewDriver(app);
      try {
        expect(app.dataDir).toBe(dataDir);
        expect(existsSync(join(dataDir, 'read-models.sqlite'))).toBe(true);
        expect(existsSync(join(dataDir, 'events.sqlite'))).toBe(true);
        await driver.open('p1', { queueId: 'disk', priority: 2 });
        await driver.open('p2', { queueId: 'disk' });
        await driver.pick('p2', 'ann');
        expect((await driver.view<QueueWorkItem>('/api/queues/disk/work-items')).items.map((i) => i.conversationId)).toEqual(['p1']);
        expect((await driver.view<MyWorkItem>('/api/agents/ann/work-items')).items.map((i) => i.conversationId)).toEqual(['p2']);
      } finally {
        await app.close();
      }
      expect(existsSync(join(dataDir, 'read-models.sqlite'))).toBe(true);

      app = await startApp({ store: 'sqlite', dataDir, clockStart: at(HOUR) });
      const head = driver.position;
      driver = new ViewDriver(app);
      driver.position = head;
      try {
        const before = await driver.allPages<AuditEntry>('/api/audit');
        const conversationPositions = (await app.store.readAll())
          .filter((e) => e.streamName.startsWith('conversation-'))
          .map((e) => e.position);
        expect(before.items.map((e) => e.position)).toEqual(conversationPositions);
        expect(conversationPositions).toHaveLength(3);
        expect((await driver.view<QueueWorkItem>('/api/queues/disk/work-items')).items).toEqual([
          expect.objectContaining({ conversationId: 'p1', priority: 2, waitMs: HOUR }),
        ]);
        await driver.release('p2', 'ann');
        expect((await driver.view<QueueWorkItem>('/api/queues/disk/work-items')).items.map((i) => i.conversationId)).toEqual(['p1', 'p2']);
        const conversationEvents = (await app.store.readAll()).filter((e) => e.streamName.startsWith('conversation-'));
        expect((await driver.allPages<AuditEntry>('/api/audit')).items.map((e) => e.position)).toEqual(
          conversationEvents.map((e) => e.position),
        );
        expect(conversationEvents).toHaveLength(4);
        // The release also wrote ann's capacity back on her stream: wait for the views to pass it.
        const head = await app.store.headPosition();
        driver.position = head;
        await driver.view('/api/agents/ann/work-items');
        const health = await app.get('/health');
        expect(health.statusCode).toBe(200);
        for (const p of health.body.checks.projections) expect(p).toMatchObject({ status: 'ok', position: head });
      } finally {
        await app.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
