/**
 * Agents and queues through HTTP, as an administrator sets them up (provision 'none'): queues
 * created, changed and listed with their counts; agents registered, updated (capacity, queues
 * joined and left, presence) and shown on the capacity board and from their own stream; every
 * malformed body refused with 400 naming the field; unknown queues and agents refused with 404;
 * and, for every refusal, nothing written (the store's head does not move).
 */
import { startApp, type TestApp } from './support/start-app';
import { Floor, type AgentAnswer, type BoardRow, type QueueRow } from './support/work-distribution';

const T0 = '2026-03-02T09:00:00.000Z';

let t: TestApp;
let f: Floor;

beforeEach(async () => {
  t = await startApp({ provision: 'none', clockStart: T0 });
  f = new Floor(t);
});
afterEach(async () => {
  await t.close();
});

/** Sends the request and expects it to write nothing at all. */
const writesNothing = async <A>(request: () => Promise<A>): Promise<A> => {
  const before = await f.head();
  const answer = await request();
  expect(await f.head()).toBe(before);
  return answer;
};

describe('queues: POST /api/queues, GET /api/queues/:id', () => {
  it('creates a queue with defaults (201, Location), and the same definition again changes nothing (200)', async () => {
    const created = await t.post('/api/queues', { id: 'support' });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/api/queues/support');
    expect(created.body).toEqual({
      id: 'support',
      name: 'support',
      mode: 'pick',
      priority: 0,
      method: 'highest_free_capacity',
      createdAt: T0,
      revision: 0,
      position: expect.any(Number),
    });
    expect((await t.get('/api/queues/support')).body).toEqual({
      id: 'support',
      name: 'support',
      mode: 'pick',
      priority: 0,
      method: 'highest_free_capacity',
      createdAt: T0,
    });

    const again = await writesNothing(() => t.post('/api/queues', { id: 'support' }));
    expect(again.statusCode).toBe(200);
    expect(again.headers.location).toBeUndefined();
    expect(again.body).toMatchObject({ id: 'support', revision: 0 });
  });

  it('changes every setting of an existing queue (200) and GET shows the new settings, created time kept', async () => {
    await f.queue('sales', { name: 'Sales', mode: 'pick', priority: 1 });
    t.clock.advance(60_000);
    const changed = await t.post('/api/queues', { id: 'sales', name: 'Sales EMEA', mode: 'push', priority: 7, method: 'round_robin' });
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toMatchObject({
      id: 'sales',
      name: 'Sales EMEA',
      mode: 'push',
      priority: 7,
      method: 'round_robin',
      createdAt: T0,
      revision: 1,
    });
    expect((await t.get('/api/queues/sales')).body).toEqual({
      id: 'sales',
      name: 'Sales EMEA',
      mode: 'push',
      priority: 7,
      method: 'round_robin',
      createdAt: T0,
    });
  });

  it('keeps every setting a re-definition leaves out (changing the priority alone keeps a push queue push)', async () => {
    await f.queue('vip', { name: 'VIP', mode: 'push', priority: 9, method: 'round_robin' });
    const changed = await t.post('/api/queues', { id: 'vip', priority: 3 });
    expect(changed.statusCode).toBe(200);
    expect((await t.get('/api/queues/vip')).body).toMatchObject({ name: 'VIP', mode: 'push', priority: 3, method: 'round_robin' });
  });

  it.each([
    ['no id', { mode: 'pick' }, 'id'],
    ['an id with a space', { id: 'bad id' }, 'id'],
    ['an id of 65 characters', { id: 'q'.repeat(65) }, 'id'],
    ['an unknown mode', { id: 'q1', mode: 'broadcast' }, 'mode'],
    ['a negative priority', { id: 'q1', priority: -1 }, 'priority'],
    ['a priority above 100', { id: 'q1', priority: 101 }, 'priority'],
    ['a fractional priority', { id: 'q1', priority: 1.5 }, 'priority'],
    ['a priority as text', { id: 'q1', priority: '5' }, 'priority'],
    ['an unknown method', { id: 'q1', method: 'random' }, 'method'],
    ['an empty name', { id: 'q1', name: '' }, 'name'],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_case, body, field) => {
    const answer = await writesNothing(() => t.post('/api/queues', body));
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field });
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('GET of a queue nobody created answers 404 QUEUE.NOT_FOUND', async () => {
    const answer = await t.get('/api/queues/nowhere');
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toMatchObject({ code: 'QUEUE.NOT_FOUND', queueId: 'nowhere', field: 'id' });
  });
});

describe('queues: GET /api/queues lists settings with counts', () => {
  it('orders queues by priority then id, and counts conversations per status and the agents serving each', async () => {
    await f.queue('support', { priority: 5 });
    await f.queue('billing', { priority: 5, mode: 'pick' });
    await f.queue('vip', { priority: 9, mode: 'push', method: 'round_robin' });
    await f.queue('empty');
    await f.agent('ann', 10, ['support', 'billing']);
    await f.agent('bob', 10, ['support']);
    await f.agent('cy', 10, ['vip'], 'offline');

    for (const id of ['s1', 's2', 's3', 's4', 's5']) await f.open(id, 'support', { channel: 'sms' });
    await f.open('b1', 'billing');
    await f.pick('s1', 'ann'); // active
    await f.pick('s2', 'ann');
    await f.closeSession('s2', 'ann'); // waiting (sms: closing the session without ending parks it)
    await f.pick('s3', 'bob');
    await f.endByAgent('s3', 'bob'); // wrap_up
    await f.pick('s4', 'bob');
    await f.finish('s4', 'bob'); // closed
    // s1 moves to billing with its transfer: counted there from now on.
    await f.command('s1', 'transfer', { agentId: 'ann', toQueueId: 'billing' });

    const counts = (row: QueueRow) => [row.queueId, row.open, row.active, row.waiting, row.wrap_up, row.closed, row.agents];
    const queues = await f.queues();
    expect(queues.map(counts)).toEqual([
      ['vip', 0, 0, 0, 0, 0, 1],
      ['billing', 2, 0, 0, 0, 0, 1],
      ['support', 1, 0, 1, 1, 1, 2],
      ['empty', 0, 0, 0, 0, 0, 0],
    ]);
    expect(queues[0]).toMatchObject({ name: 'vip', mode: 'push', priority: 9, method: 'round_robin', createdAt: T0 });

    // An agent leaving a queue is no longer counted there.
    await f.agent('bob', 10, ['billing']);
    expect((await f.queues()).map((q) => [q.queueId, q.agents])).toEqual([
      ['vip', 1],
      ['billing', 2],
      ['support', 1],
      ['empty', 0],
    ]);
  });

  it('pages with limit and cursor, and refuses a bad limit with 400 naming it', async () => {
    for (const id of ['q1', 'q2', 'q3']) await f.queue(id);
    const head = await f.head();
    const first = await t.get(`/api/queues?limit=2&minPosition=${head}`);
    expect(first.statusCode).toBe(200);
    expect(first.body.items.map((q: QueueRow) => q.queueId)).toEqual(['q1', 'q2']);
    const second = await t.get(`/api/queues?limit=2&minPosition=${head}&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.items.map((q: QueueRow) => q.queueId)).toEqual(['q3']);
    expect(second.body.nextCursor).toBeUndefined();

    const bad = await t.get('/api/queues?limit=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field: 'limit' });
  });
});

describe('agents: POST /api/agents registers and updates', () => {
  beforeEach(async () => {
    await f.queue('support');
    await f.queue('billing');
    await f.queue('vip');
  });

  it('registers a new agent (201, Location), offline unless a presence is given, with all its capacity free', async () => {
    const created = await t.post('/api/agents', { id: 'ann', capacity: 3, queueIds: ['support', 'billing'] });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/api/agents/ann');
    expect(created.body).toEqual({
      id: 'ann',
      capacity: 3,
      queueIds: ['support', 'billing'],
      presence: 'offline',
      presenceSince: T0,
      used: 0,
      blocked: 0,
      free: 3,
      claims: [],
      revision: 0,
      position: expect.any(Number),
    });
    const { position: _position, ...fromStream } = created.body as AgentAnswer;
    expect((await t.get('/api/agents/ann')).body).toEqual(fromStream);

    const withPresence = await t.post('/api/agents', { id: 'bob', capacity: 0, queueIds: [], presence: 'busy_dnd' });
    expect(withPresence.statusCode).toBe(201);
    expect(withPresence.body).toMatchObject({ id: 'bob', capacity: 0, queueIds: [], presence: 'busy_dnd', free: 0 });
  });

  it('updates capacity, joins and leaves queues (the list replaces the old one) and sets presence (200)', async () => {
    await f.agent('ann', 2, ['support', 'billing'], null);
    t.clock.advance(5_000);
    const updated = await t.post('/api/agents', { id: 'ann', capacity: 5, queueIds: ['billing', 'vip', 'vip'], presence: 'available' });
    expect(updated.statusCode).toBe(200);
    expect(updated.headers.location).toBeUndefined();
    expect(updated.body).toMatchObject({
      id: 'ann',
      capacity: 5,
      queueIds: ['billing', 'vip'],
      presence: 'available',
      presenceSince: '2026-03-02T09:00:05.000Z',
      used: 0,
      blocked: 0,
      free: 5,
    });
    expect(await f.agentNow('ann')).toMatchObject({ capacity: 5, queueIds: ['billing', 'vip'], presence: 'available' });

    // Without a presence, re-registration leaves presence as it is.
    const lowered = await t.post('/api/agents', { id: 'ann', capacity: 1, queueIds: ['vip'] });
    expect(lowered.statusCode).toBe(200);
    expect(lowered.body).toMatchObject({ capacity: 1, queueIds: ['vip'], presence: 'available', free: 1 });

    // The same settings again: 200 and nothing written.
    const same = await writesNothing(() => t.post('/api/agents', { id: 'ann', capacity: 1, queueIds: ['vip'], presence: 'available' }));
    expect(same.statusCode).toBe(200);
    expect(same.body).toMatchObject({ capacity: 1, queueIds: ['vip'], presence: 'available' });
  });

  it.each([
    ['no id', { capacity: 1, queueIds: [] }, 'id'],
    ['an id with a slash', { id: 'a/b', capacity: 1, queueIds: [] }, 'id'],
    ['no capacity', { id: 'ann', queueIds: [] }, 'capacity'],
    ['a negative capacity', { id: 'ann', capacity: -1, queueIds: [] }, 'capacity'],
    ['a capacity above 1000', { id: 'ann', capacity: 1001, queueIds: [] }, 'capacity'],
    ['a fractional capacity', { id: 'ann', capacity: 1.5, queueIds: [] }, 'capacity'],
    ['a capacity as text', { id: 'ann', capacity: '3', queueIds: [] }, 'capacity'],
    ['no queueIds', { id: 'ann', capacity: 1 }, 'queueIds'],
    ['queueIds as a string', { id: 'ann', capacity: 1, queueIds: 'support' }, 'queueIds'],
    ['a malformed queue id', { id: 'ann', capacity: 1, queueIds: ['support', 'not ok'] }, 'queueIds'],
    ['101 queues', { id: 'ann', capacity: 1, queueIds: Array.from({ length: 101 }, (_, i) => `q${i}`) }, 'queueIds'],
    ['an unknown presence', { id: 'ann', capacity: 1, queueIds: [], presence: 'lunch' }, 'presence'],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_case, body, field) => {
    const answer = await writesNothing(() => t.post('/api/agents', body));
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field });
    expect((await t.get('/api/agents/ann')).statusCode).toBe(404);
  });

  it('refuses an unknown queue in queueIds with 404 QUEUE.NOT_FOUND naming it, for a new agent and an update; nothing written', async () => {
    const fresh = await writesNothing(() => t.post('/api/agents', { id: 'ann', capacity: 2, queueIds: ['support', 'ghost'] }));
    expect(fresh.statusCode).toBe(404);
    expect(fresh.body).toMatchObject({ code: 'QUEUE.NOT_FOUND', queueId: 'ghost', field: 'queueIds' });
    expect((await t.get('/api/agents/ann')).statusCode).toBe(404);

    await f.agent('bob', 2, ['support']);
    const update = await writesNothing(() => t.post('/api/agents', { id: 'bob', capacity: 9, queueIds: ['ghost'], presence: 'away' }));
    expect(update.statusCode).toBe(404);
    expect(update.body).toMatchObject({ code: 'QUEUE.NOT_FOUND', queueId: 'ghost', field: 'queueIds' });
    expect(await f.agentNow('bob')).toMatchObject({ capacity: 2, queueIds: ['support'], presence: 'available' });
  });
});

describe('agents: presence and GET /api/agents/:id', () => {
  beforeEach(async () => {
    await f.queue('support');
    await f.agent('ann', 2, ['support'], null);
  });

  it('POST /api/agents/:id/presence sets each presence (200), the same one again writes nothing', async () => {
    for (const presence of ['available', 'busy', 'busy_dnd', 'away', 'offline', 'available']) {
      t.clock.advance(1_000);
      const answer = await t.post('/api/agents/ann/presence', { presence });
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toMatchObject({ id: 'ann', presence, presenceSince: t.clock.now().toISOString() });
      expect((await f.agentNow('ann')).presence).toBe(presence);
    }
    const same = await writesNothing(() => t.post('/api/agents/ann/presence', { presence: 'available' }));
    expect(same.statusCode).toBe(200);
    expect(same.body.presence).toBe('available');
  });

  it('refuses a bad presence (400 presence), a missing one (400 presence), an unknown agent (404), a bad id (400 id); nothing written', async () => {
    const bad = await writesNothing(() => t.post('/api/agents/ann/presence', { presence: 'on_break' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field: 'presence' });

    const missing = await writesNothing(() => t.post('/api/agents/ann/presence', {}));
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toMatchObject({ field: 'presence' });

    const unknown = await writesNothing(() => t.post('/api/agents/nobody/presence', { presence: 'available' }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'AGENT.NOT_FOUND', agentId: 'nobody' });
    expect((await t.get('/api/agents/nobody')).statusCode).toBe(404);

    const badId = await writesNothing(() => t.post('/api/agents/bad%20id/presence', { presence: 'available' }));
    expect(badId.statusCode).toBe(400);
    expect(badId.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field: 'id' });
  });

  it('GET /api/agents/:id of an unknown agent answers 404 AGENT.NOT_FOUND', async () => {
    const answer = await t.get('/api/agents/nobody');
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toMatchObject({ code: 'AGENT.NOT_FOUND', agentId: 'nobody' });
  });

  it('GET /api/agents/:id shows what holds capacity: used by active items, blocked by wrap-up, and each claim', async () => {
    await f.presence('ann', 'available');
    await f.open('c1', 'support');
    await f.open('c2', 'support');
    await f.pick('c1', 'ann');
    t.clock.advance(1_000);
    await f.pick('c2', 'ann');
    await f.endByAgent('c2', 'ann');
    expect(await f.agentNow('ann')).toMatchObject({
      capacity: 2,
      used: 1,
      blocked: 1,
      free: 0,
      lastAssignedAt: '2026-03-02T09:00:01.000Z',
      claims: [
        expect.objectContaining({
          conversationId: 'c1',
          channel: 'live_chat',
          queueId: 'support',
          units: 1,
          holding: 'assigned',
          forced: false,
          since: T0,
        }),
        expect.objectContaining({ conversationId: 'c2', holding: 'wrap_up', units: 1 }),
      ],
    });
  });
});

describe('the capacity board: GET /api/agents', () => {
  beforeEach(async () => {
    await f.queue('support');
    await f.queue('billing');
  });

  it('lists every agent by id with presence, queues, used / blocked / free, forcedOver and claims', async () => {
    await f.agent('cy', 1, ['billing'], 'away');
    await f.agent('ann', 3, ['support', 'billing']);
    await f.agent('bob', 2, ['support'], 'busy');
    await f.open('c1', 'support');
    await f.open('c2', 'support');
    await f.open('c3', 'billing');
    await f.pick('c1', 'ann');
    await f.assign('c2', 'ann'); // a push awaiting acceptance holds capacity too
    await f.pick('c3', 'ann');
    await f.endByAgent('c3', 'ann'); // wrap-up blocks (always, by default)

    const board = await f.board();
    const summary = (row: BoardRow) => [
      row.agentId,
      row.presence,
      row.queueIds,
      row.capacity,
      row.used,
      row.blocked,
      row.free,
      row.forcedOver,
    ];
    // Queues joined by one registration are listed in id order (agent-rows.ts); the stream keeps the order given.
    expect(board.map(summary)).toEqual([
      ['ann', 'available', ['billing', 'support'], 3, 2, 1, 0, false],
      ['bob', 'busy', ['support'], 2, 0, 0, 2, false],
      ['cy', 'away', ['billing'], 1, 0, 0, 1, false],
    ]);
    expect(board[0].claims.map((claim) => [claim.conversationId, claim.holding, claim.units, claim.forced])).toEqual([
      ['c1', 'assigned', 1, false],
      ['c2', 'assigned', 1, false],
      ['c3', 'wrap_up', 1, false],
    ]);
    // The board and the agent's own stream agree.
    for (const row of board) {
      const now = await f.agentNow(row.agentId);
      expect({ agent: row.agentId, used: row.used, blocked: row.blocked, free: row.free }).toEqual({
        agent: now.id,
        used: now.used,
        blocked: now.blocked,
        free: now.free,
      });
    }
  });

  it('shows forcedOver when a supervisor forced work over capacity, and when capacity was lowered under the load', async () => {
    await f.agent('ann', 1, ['support']);
    await f.agent('bob', 2, ['support']);
    await f.open('c1', 'support');
    await f.open('c2', 'support');
    await f.open('c3', 'support');
    await f.pick('c1', 'ann');
    await f.forceAssign('c2', 'ann');
    await f.pick('c3', 'bob');
    await f.agent('bob', 0, ['support']);

    const board = await f.board();
    expect(board.map((row) => [row.agentId, row.capacity, row.used, row.free, row.forcedOver])).toEqual([
      ['ann', 1, 2, 0, true],
      ['bob', 0, 1, 0, true],
    ]);
    expect(board[0].claims.find((claim) => claim.conversationId === 'c2')).toMatchObject({ forced: true, holding: 'assigned' });

    // Finishing the forced item brings ann back within capacity.
    await f.finish('c2', 'ann');
    expect(await f.boardRow('ann')).toMatchObject({ used: 1, free: 0, forcedOver: false });
  });

  it('pages by agent id, and refuses a bad limit, a bad cursor and a minPosition beyond the log with 400', async () => {
    for (const id of ['a5', 'a1', 'a3', 'a2', 'a4']) await f.agent(id, 1, ['support']);
    const head = await f.head();
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const answer = await t.get(`/api/agents?limit=2&minPosition=${head}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(answer.statusCode).toBe(200);
      expect(answer.body.items.length).toBeLessThanOrEqual(2);
      ids.push(...answer.body.items.map((row: BoardRow) => row.agentId));
      cursor = answer.body.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(ids).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(pages).toBe(3);

    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['cursor=garbage', 'cursor'],
      [`minPosition=${head + 1000}`, 'minPosition'],
    ]) {
      const answer = await t.get(`/api/agents?${query}`);
      expect({ query, status: answer.statusCode, field: answer.body.field }).toEqual({ query, status: 400, field });
    }
  });
});

describe('unknown queues in conversation commands: 404 and nothing written', () => {
  beforeEach(async () => {
    await f.queue('support');
    await f.agent('ann', 2, ['support']);
  });

  it('opening into a queue nobody created answers 404 QUEUE.NOT_FOUND naming queueId; no conversation exists', async () => {
    const answer = await writesNothing(() =>
      t.post('/api/conversations', { id: 'lost', channel: 'live_chat', queueId: 'ghost', customerId: 'cust-1' }),
    );
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toMatchObject({ code: 'QUEUE.NOT_FOUND', queueId: 'ghost', field: 'queueId' });
    expect((await t.get('/api/conversations/lost')).statusCode).toBe(404);
    expect((await f.queues()).map((q) => [q.queueId, q.open])).toEqual([['support', 0]]);

    // Once the queue exists, the same open goes through.
    await f.queue('ghost');
    await f.open('lost', 'ghost');
  });

  it('transferring to a queue nobody created answers 404 naming toQueueId; the conversation and the capacity stay as they were', async () => {
    await f.open('c1', 'support');
    const picked = await f.pick('c1', 'ann');
    const before = await f.agentNow('ann');

    const answer = await writesNothing(() => t.post('/api/conversations/c1/transfer', { agentId: 'ann', toQueueId: 'ghost' }));
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toMatchObject({ code: 'QUEUE.NOT_FOUND', queueId: 'ghost', field: 'toQueueId' });
    expect(await f.conversation('c1')).toMatchObject({ status: 'active', agentId: 'ann', queueId: 'support', revision: picked.revision });
    expect(await f.agentNow('ann')).toEqual(before);
  });
});
