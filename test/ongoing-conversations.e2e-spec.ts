/**
 * GET /api/conversations: the supervisor's Ongoing conversations, from the conversation_views
 * read model. Every conversation not closed, longest in its current status first, with its
 * time in status and wait so far as of the service's clock; filters by queue, status, agent and
 * channel; keyset paging; read-your-writes; refused to an agent (403) and for a bad filter (400).
 * Queues and agents are set up as an administrator would (provision 'none').
 */
import type { OngoingConversation } from '@lib/read-models';
import { startApp, type TestApp } from './support/start-app';
import { expectStatus, Floor } from './support/work-distribution';

const START = '2026-03-02T09:00:00.000Z';
const MINUTE = 60_000;
const at = (minutes: number): string => new Date(Date.parse(START) + minutes * MINUTE).toISOString();

let t: TestApp;
let floor: Floor;
let supervisor: string;
let last = 0;

/** Every page of the list (as a supervisor), up to the last command's position. */
const ongoing = async (query: Record<string, string | number> = {}): Promise<OngoingConversation[]> => {
  const items: OngoingConversation[] = [];
  let cursor: string | undefined;
  do {
    const params = new URLSearchParams({
      minPosition: String(last),
      ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
    });
    if (cursor !== undefined) params.set('cursor', cursor);
    const answer = expectStatus(
      await t.get(`/api/conversations?${params.toString()}`, { authorization: `Bearer ${supervisor}` }),
      200,
      `GET /api/conversations?${params.toString()}`,
    );
    items.push(...(answer.body.items as OngoingConversation[]));
    cursor = answer.body.nextCursor as string | undefined;
  } while (cursor !== undefined);
  return items;
};
const ids = async (query: Record<string, string | number> = {}) => (await ongoing(query)).map((item) => item.conversationId);

/** Remembers the log position of a command's answer, for the next read. */
const track = <A extends { position: number }>(answer: A): A => {
  last = Math.max(last, answer.position);
  return answer;
};

beforeAll(async () => {
  t = await startApp({ clockStart: START, provision: 'none' });
  floor = new Floor(t);
  supervisor = await t.token('sup-1', ['supervisor']);
  await floor.queue('support');
  await floor.queue('billing');
  await floor.agent('a-1', 3, ['support', 'billing']);
  await floor.agent('a-2', 3, ['support']);

  // Minute 0..4: five conversations opened a minute apart.
  track(await floor.open('c-1', 'support', { channel: 'live_chat' }));
  t.clock.advance(MINUTE);
  track(await floor.open('c-2', 'billing', { channel: 'sms' }));
  t.clock.advance(MINUTE);
  track(await floor.open('c-3', 'support', { channel: 'sms', priority: 5 }));
  t.clock.advance(MINUTE);
  track(await floor.open('c-4', 'support', { channel: 'live_chat' }));
  t.clock.advance(MINUTE);
  track(await floor.open('c-5', 'support', { channel: 'voice' }));
  track(await floor.open('c-6', 'billing', { channel: 'live_chat' }));
  // Minute 5: a-1 picks c-2 and parks it (waiting); c-6 is force-closed (never listed again).
  t.clock.advance(MINUTE);
  track(await floor.pick('c-2', 'a-1'));
  track(await floor.closeSession('c-2', 'a-1'));
  track(await floor.forceClose('c-6', 'sup-1', 'spam'));
  // Minute 6: the supervisor forces c-4 on a-2; minute 7: offers c-5 to a-1 (awaiting acceptance).
  t.clock.advance(MINUTE);
  track(await floor.forceAssign('c-4', 'a-2'));
  t.clock.advance(MINUTE);
  track(await floor.command('c-5', 'assign', { agentId: 'a-1', supervisorId: 'sup-1' }));
  // Minute 8: a-2 picks c-1, ends it: wrap-up.
  t.clock.advance(MINUTE);
  track(await floor.pick('c-1', 'a-2'));
  track(await floor.endByAgent('c-1', 'a-2'));
  t.clock.advance(2 * MINUTE); // now = minute 10
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('GET /api/conversations (Ongoing conversations)', () => {
  it('lists every conversation not closed, longest in its status first, with time in status and wait so far', async () => {
    const items = await ongoing();
    expect(items.map((item) => item.conversationId)).toEqual(['c-3', 'c-2', 'c-4', 'c-5', 'c-1']);
    expect(items).toEqual([
      {
        conversationId: 'c-3',
        queueId: 'support',
        channel: 'sms',
        status: 'open',
        customerId: 'cust-c-3',
        priority: 5,
        openedAt: at(2),
        statusSince: at(2),
        timeInStatusMs: 8 * MINUTE,
        waitedMs: 8 * MINUTE,
        unreadCustomerMessages: 0,
      },
      expect.objectContaining({
        conversationId: 'c-2',
        status: 'waiting',
        agentId: 'a-1',
        statusSince: at(5),
        timeInStatusMs: 5 * MINUTE,
        waitedMs: 9 * MINUTE,
      }),
      expect.objectContaining({ conversationId: 'c-4', status: 'active', assignment: 'accepted', agentId: 'a-2', statusSince: at(6) }),
      expect.objectContaining({
        conversationId: 'c-5',
        status: 'active',
        assignment: 'awaiting_acceptance',
        agentId: 'a-1',
        statusSince: at(7),
        timeInStatusMs: 3 * MINUTE,
        waitedMs: 6 * MINUTE,
      }),
      expect.objectContaining({ conversationId: 'c-1', status: 'wrap_up', agentId: 'a-2', statusSince: at(8), waitedMs: 10 * MINUTE }),
    ]);
    expect(items.find((item) => item.conversationId === 'c-2')).not.toHaveProperty('assignment');
    expect(items[0]).not.toHaveProperty('agentId');
  });

  it('filters by queue, status, agent and channel, each narrowing the others', async () => {
    expect(await ids({ queueId: 'billing' })).toEqual(['c-2']);
    expect(await ids({ queueId: 'support' })).toEqual(['c-3', 'c-4', 'c-5', 'c-1']);
    expect(await ids({ status: 'active' })).toEqual(['c-4', 'c-5']);
    expect(await ids({ status: 'open' })).toEqual(['c-3']);
    expect(await ids({ agentId: 'a-2' })).toEqual(['c-4', 'c-1']);
    expect(await ids({ channel: 'live_chat' })).toEqual(['c-4', 'c-1']);
    expect(await ids({ queueId: 'support', status: 'active', agentId: 'a-1', channel: 'voice' })).toEqual(['c-5']);
    expect(await ids({ queueId: 'support', agentId: 'nobody' })).toEqual([]);
  });

  it('pages with limit and cursor, in the same order, and a cursor of other filters is refused', async () => {
    const first = expectStatus(await t.get('/api/conversations?limit=2', { authorization: `Bearer ${supervisor}` }), 200, 'page 1').body;
    expect(first.items.map((item: OngoingConversation) => item.conversationId)).toEqual(['c-3', 'c-2']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = expectStatus(
      await t.get(`/api/conversations?limit=2&cursor=${first.nextCursor}`, { authorization: `Bearer ${supervisor}` }),
      200,
      'page 2',
    ).body;
    expect(second.items.map((item: OngoingConversation) => item.conversationId)).toEqual(['c-4', 'c-5']);
    const third = expectStatus(
      await t.get(`/api/conversations?limit=2&cursor=${second.nextCursor}`, { authorization: `Bearer ${supervisor}` }),
      200,
      'page 3',
    ).body;
    expect(third.items.map((item: OngoingConversation) => item.conversationId)).toEqual(['c-1']);
    expect(third.nextCursor).toBeUndefined();

    const replayed = await t.get(`/api/conversations?limit=2&queueId=support&cursor=${first.nextCursor}`, {
      authorization: `Bearer ${supervisor}`,
    });
    expect(replayed.statusCode).toBe(400);
    expect(replayed.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field: 'cursor' });
  });

  it('reads its own writes: with minPosition a conversation just opened or closed is already (or no longer) there', async () => {
    t.clock.advance(MINUTE);
    const opened = track(await floor.open('c-7', 'billing', { channel: 'social' }));
    expect(await ids({ queueId: 'billing' })).toEqual(['c-2', 'c-7']);
    expect(last).toBe(opened.position);
    track(await floor.forceClose('c-7', 'sup-1', 'opened_by_mistake'));
    expect(await ids({ queueId: 'billing' })).toEqual(['c-2']);
  });

  it('is for supervisors: an agent (even one holding some of them), a channel and an admin get 403', async () => {
    for (const [sub, roles] of [
      ['a-1', ['agent']],
      ['web-chat', ['channel']],
      ['admin-1', ['admin']],
    ] as const) {
      const answer = await t.get('/api/conversations', { authorization: `Bearer ${await t.token(sub, roles)}` });
      expect({ sub, statusCode: answer.statusCode }).toEqual({ sub, statusCode: 403 });
      expect(answer.body).toMatchObject({ code: 'AUTH.FORBIDDEN' });
    }
    const anonymous = await t.get('/api/conversations', { authorization: '' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses a bad filter or page with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['status=closed', 'status'],
      ['status=pending', 'status'],
      ['channel=fax', 'channel'],
      ['queueId=not%20an%20id', 'queueId'],
      ['agentId=', 'agentId'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['cursor=%21%21', 'cursor'],
      [`minPosition=${last + 1000}`, 'minPosition'],
    ] as const) {
      const answer = await t.get(`/api/conversations?${query}`, { authorization: `Bearer ${supervisor}` });
      expect({ query, statusCode: answer.statusCode }).toEqual({ query, statusCode: 400 });
      expect(answer.body).toMatchObject({ statusCode: 400, code: 'REQUEST.INVALID_FIELD', field });
    }
  });

  it('leaves POST /api/conversations (open) as it was', async () => {
    const answer = await t.post('/api/conversations', { id: 'c-8', channel: 'sms', queueId: 'support', customerId: 'cust-8' });
    expect(answer.statusCode).toBe(201);
    expect(answer.headers.location).toBe('/api/conversations/c-8');
  });
});
