/**
 * Push routing through the running service. With ROUTING on, the process manager assigns an
 * item opened into a push queue without anyone calling assign, and routes waiting items when
 * what stopped them changes (an agent becomes available, joins the queue, frees capacity, a
 * push is rejected); its periodic pass picks up what no event announces (a fixed wrap-up block
 * that ran out). Assertions on what the background does poll with a bounded deadline; "nothing
 * happens" is shown by a pass the test runs itself (it offers nothing) and the item still open.
 *
 * The ordering and method tests turn ROUTING off and run PushRouter.runOnce() themselves, once
 * the views include every write, so every choice is deterministic.
 */
import { PushRouter, type RoutingPassResult } from '@lib/conversation-lifecycle';
import { startApp, type TestApp } from './support/start-app';
import { Floor, eventually, type ConversationAnswer } from './support/work-distribution';

const T0 = '2026-03-02T09:00:00.000Z';
const SECOND = 1_000;

let t: TestApp;
let f: Floor;

afterEach(async () => {
  await t?.close();
});

const start = async (env: Record<string, string>) => {
  t = await startApp({ provision: 'none', clockStart: T0, env });
  f = new Floor(t);
};

/** One routing pass run by the test, once the views have every write so far. */
const routeOnce = async (): Promise<RoutingPassResult> => {
  await f.viewsCaughtUp();
  return t.app.get(PushRouter).runOnce();
};

/** Waits (bounded) until routing has pushed the conversation to an agent; answers the conversation. */
const pushed = (id: string, agentId?: string): Promise<ConversationAnswer> =>
  eventually(
    async () => {
      const conversation = await f.conversation(id);
      if (conversation.status !== 'active') return undefined;
      if (agentId !== undefined && conversation.agentId !== agentId) return undefined;
      return conversation;
    },
    `routing to push ${id}${agentId ? ` to ${agentId}` : ''}`,
  );

/** Shows that nothing routes the item now: a pass offers nothing and it is still open. */
const staysOpen = async (id: string): Promise<void> => {
  const pass = await routeOnce();
  expect(pass.offered).toBe(0);
  expect(await f.conversation(id)).toMatchObject({ status: 'open' });
};

describe('with ROUTING on, the process manager routes', () => {
  // Only the events that call for a pass route here: the periodic pass is an hour away.
  beforeEach(() => start({ ROUTING: 'on', ROUTING_INTERVAL: '1h' }));

  it('an item opened into a push queue with an available agent is pushed to them, awaiting acceptance, without anyone calling assign', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.agent('ann', 2, ['inbound']);
    await f.open('c1', 'inbound');

    const conversation = await pushed('c1', 'ann');
    expect(conversation).toMatchObject({ status: 'active', agentId: 'ann', assignment: 'awaiting_acceptance', forced: false });
    const history = (await t.get('/api/conversations/c1/history')).body.events as Array<{ type: string; actor: unknown; reason: string }>;
    expect(history.map((e) => e.type)).toEqual(['ConversationOpened', 'ConversationPushedToAgent']);
    expect(history[1]).toMatchObject({ actor: { kind: 'system', id: 'routing' }, reason: 'routed_to_agent' });
    expect(await f.agentNow('ann')).toMatchObject({ used: 1, free: 1, claims: [expect.objectContaining({ conversationId: 'c1' })] });

    await f.accept('c1', 'ann');
    expect(await f.conversation('c1')).toMatchObject({ status: 'active', agentId: 'ann', assignment: 'accepted' });
  });

  it('an item with no available agent waits, and is pushed when the agent becomes available', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.agent('ann', 2, ['inbound'], 'away');
    await f.open('c1', 'inbound');
    await staysOpen('c1');

    await f.presence('ann', 'available');
    expect(await pushed('c1', 'ann')).toMatchObject({ assignment: 'awaiting_acceptance' });
  });

  it('an item nobody serves waits, and is pushed when an agent joins its queue', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.queue('other', { mode: 'push' });
    await f.agent('ann', 2, ['other']);
    await f.open('c1', 'inbound');
    await staysOpen('c1');

    await f.agent('ann', 2, ['other', 'inbound']);
    await pushed('c1', 'ann');
  });

  it('an item waits while every agent is full, and is pushed when one frees capacity', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.queue('desk', { mode: 'pick' });
    await f.agent('ann', 1, ['inbound', 'desk']);
    await f.open('d1', 'desk');
    await f.pick('d1', 'ann');
    await f.open('c1', 'inbound');
    await staysOpen('c1');

    await f.finish('d1', 'ann');
    await pushed('c1', 'ann');
  });

  it('never pushes beyond capacity: with room for two, two of five items are pushed and the rest wait', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.agent('ann', 2, ['inbound']);
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5'];
    for (const id of ids) {
      t.clock.advance(SECOND);
      await f.open(id, 'inbound');
    }
    // The two oldest, in order.
    await pushed('c1', 'ann');
    await pushed('c2', 'ann');
    await staysOpen('c3');
    expect(await f.agentNow('ann')).toMatchObject({ used: 2, free: 0 });
    for (const id of ['c4', 'c5']) expect((await f.conversation(id)).status).toBe('open');

    // Finishing one lets the next oldest in.
    await f.accept('c1', 'ann');
    await f.finish('c1', 'ann');
    await pushed('c3', 'ann');
    expect(await f.agentNow('ann')).toMatchObject({ used: 2, free: 0 });
  });

  it('a rejected push goes to another agent, never back to the one who rejected it; rejected by all, it waits', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.agent('ann', 1, ['inbound']);
    await f.agent('bob', 1, ['inbound']);
    await f.open('c1', 'inbound');
    const first = (await pushed('c1')).agentId as string;
    const second = first === 'ann' ? 'bob' : 'ann';

    await f.reject('c1', first);
    await pushed('c1', second);
    expect(await f.agentNow(first)).toMatchObject({ used: 0, free: 1 });

    await f.reject('c1', second);
    await staysOpen('c1');
    expect((await f.conversation('c1')).declinedBy.sort()).toEqual(['ann', 'bob']);
    expect(await f.agentNow(first)).toMatchObject({ used: 0, free: 1 });
    expect(await f.agentNow(second)).toMatchObject({ used: 0, free: 1 });

    // Someone who has not declined it gets it.
    await f.agent('cy', 1, ['inbound']);
    await pushed('c1', 'cy');
  });
});

describe('with ROUTING on, the periodic pass', () => {
  beforeEach(() => start({ ROUTING: 'on', ROUTING_INTERVAL: '100ms', WRAP_UP_CAPACITY_BLOCK: 'sms=30s' }));

  it('routes an item once a fixed wrap-up block has run out, which no event announces', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.queue('desk', { mode: 'pick' });
    await f.agent('ann', 1, ['inbound', 'desk']);
    await f.open('d1', 'desk', { channel: 'sms' });
    await f.pick('d1', 'ann');
    await f.endByAgent('d1', 'ann');
    await f.open('c1', 'inbound');
    await staysOpen('c1');
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 1, free: 0 });

    t.clock.advance(30 * SECOND);
    await pushed('c1', 'ann');
    expect(await f.conversation('d1')).toMatchObject({ status: 'wrap_up' });
  });
});

describe('routing order and methods (ROUTING off, one pass at a time)', () => {
  beforeEach(() => start({ ROUTING: 'off', CAPACITY_UNITS: 'voice=2', WRAP_UP_CAPACITY_BLOCK: 'live_chat=never' }));

  /** The agent each of these conversations was pushed to (undefined: still open). */
  const agentOf = async (ids: string[]): Promise<Record<string, string | undefined>> => {
    const result: Record<string, string | undefined> = {};
    for (const id of ids) {
      const conversation = await f.conversation(id);
      result[id] = conversation.status === 'active' ? conversation.agentId : undefined;
    }
    return result;
  };

  it('serves higher-priority queues first, then higher-priority items, then the longest waiting', async () => {
    await f.queue('high', { mode: 'push', priority: 10 });
    await f.queue('low', { mode: 'push', priority: 1 });
    await f.agent('ann', 1, ['low', 'high']);
    // Opened in this order, a second apart.
    const opened: Array<[string, string, number]> = [
      ['low-old', 'low', 0],
      ['high-p0-old', 'high', 0],
      ['low-p9', 'low', 9],
      ['high-p5', 'high', 5],
      ['high-p0-new', 'high', 0],
    ];
    for (const [id, queueId, priority] of opened) {
      t.clock.advance(SECOND);
      await f.open(id, queueId, { priority });
    }

    const order: string[] = [];
    for (let pass = 0; pass < opened.length; pass++) {
      expect(await routeOnce()).toMatchObject({ offered: 1 });
      const [claim] = (await f.agentNow('ann')).claims;
      order.push(claim.conversationId);
      await f.accept(claim.conversationId, 'ann');
      await f.finish(claim.conversationId, 'ann');
    }
    expect(order).toEqual(['high-p5', 'high-p0-old', 'high-p0-new', 'low-p9', 'low-old']);
    expect(await routeOnce()).toMatchObject({ offered: 0 });
  });

  it('an item back in its queue waits from when it came back, not from when it was opened', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.agent('ann', 1, ['inbound']);
    await f.agent('bob', 1, ['inbound'], 'offline');
    await f.open('first', 'inbound');
    t.clock.advance(SECOND);
    await f.open('second', 'inbound');
    t.clock.advance(SECOND);
    expect(await routeOnce()).toMatchObject({ offered: 1 });
    expect(await agentOf(['first', 'second'])).toEqual({ first: 'ann', second: undefined });
    await f.accept('first', 'ann');
    t.clock.advance(SECOND);
    await f.release('first', 'ann');

    await f.presence('bob', 'available');
    await f.presence('ann', 'offline');
    expect(await routeOnce()).toMatchObject({ offered: 1 });
    expect(await agentOf(['first', 'second'])).toEqual({ first: undefined, second: 'bob' });
  });

  it('skips an item that does not fit the free units instead of stopping at it (voice costs 2)', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.agent('ann', 1, ['inbound']);
    await f.open('call', 'inbound', { channel: 'voice', priority: 50 });
    t.clock.advance(SECOND);
    await f.open('chat', 'inbound');
    expect(await routeOnce()).toMatchObject({ offered: 1 });
    expect(await agentOf(['call', 'chat'])).toEqual({ call: undefined, chat: 'ann' });
  });

  it('highest free capacity: most free units first, ties to whoever was assigned least recently, never over capacity', async () => {
    await f.queue('inbound', { mode: 'push', method: 'highest_free_capacity' });
    await f.agent('h1', 1, ['inbound']);
    await f.agent('h2', 3, ['inbound']);
    await f.agent('h3', 1, ['inbound']);
    const ids = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
    for (const id of ids) {
      t.clock.advance(SECOND);
      await f.open(id, 'inbound');
    }
    expect(await routeOnce()).toMatchObject({ offered: 5 });
    // i1, i2: h2 has the most room. i3: all have 1; h1 and h3 were never assigned (h1 by id).
    // i4: h3, never assigned, before h2. i5: only h2 has room. i6: nobody has.
    expect(await agentOf(ids)).toEqual({ i1: 'h2', i2: 'h2', i3: 'h1', i4: 'h3', i5: 'h2', i6: undefined });
    expect([await f.usage('h1'), await f.usage('h2'), await f.usage('h3')]).toEqual([
      { used: 1, blocked: 0, free: 0 },
      { used: 3, blocked: 0, free: 0 },
      { used: 1, blocked: 0, free: 0 },
    ]);
  });

  it('round robin within a pass: whoever was assigned least recently, whatever their free capacity', async () => {
    await f.queue('inbound', { mode: 'push', method: 'round_robin' });
    await f.agent('r1', 5, ['inbound']);
    await f.agent('r2', 1, ['inbound']);
    await f.agent('r3', 5, ['inbound']);
    const ids = ['j1', 'j2', 'j3', 'j4'];
    for (const id of ids) {
      t.clock.advance(SECOND);
      await f.open(id, 'inbound');
    }
    expect(await routeOnce()).toMatchObject({ offered: 4 });
    // j2 goes to r2 (never assigned) although r3 has more room; r2 is then full and left out.
    expect(await agentOf(ids)).toEqual({ j1: 'r1', j2: 'r2', j3: 'r3', j4: 'r1' });
  });

  /**
   * Every push of one pass happens at the pass's time: the order of the pass decides among
   * agents assigned in it (r3 went before r1's second item, so r3 is next), not their ids.
   */
  it('round robin keeps rotating when one pass assigns several rounds', async () => {
    await f.queue('inbound', { mode: 'push', method: 'round_robin' });
    await f.agent('r1', 5, ['inbound']);
    await f.agent('r2', 1, ['inbound']);
    await f.agent('r3', 5, ['inbound']);
    const ids = ['j1', 'j2', 'j3', 'j4', 'j5'];
    for (const id of ids) {
      t.clock.advance(SECOND);
      await f.open(id, 'inbound');
    }
    expect(await routeOnce()).toMatchObject({ offered: 5 });
    expect(await agentOf(ids)).toEqual({ j1: 'r1', j2: 'r2', j3: 'r3', j4: 'r1', j5: 'r3' });
  });

  it("round robin across passes follows the agents' recorded last assignment, not their free capacity", async () => {
    await f.queue('inbound', { mode: 'push', method: 'round_robin' });
    await f.agent('r1', 5, ['inbound']);
    await f.agent('r2', 2, ['inbound']);
    const sequence: Array<string | undefined> = [];
    for (let pass = 1; pass <= 5; pass++) {
      t.clock.advance(SECOND);
      await f.open(`p${pass}`, 'inbound');
      expect(await routeOnce()).toMatchObject({ offered: 1 });
      sequence.push((await f.conversation(`p${pass}`)).agentId);
    }
    // Highest free capacity would have given r1 the second one (4 free against 2).
    expect(sequence).toEqual(['r1', 'r2', 'r1', 'r2', 'r1']);
    expect(await f.agentNow('r2')).toMatchObject({ used: 2, free: 0 });
  });

  it('pick-mode queues are never routed', async () => {
    await f.queue('desk', { mode: 'pick' });
    await f.agent('ann', 5, ['desk']);
    await f.open('c1', 'desk');
    expect(await routeOnce()).toEqual({ offered: 0, refused: 0, considered: 0 });
    expect(await f.conversation('c1')).toMatchObject({ status: 'open' });

    // Switching the queue to push mode is what makes it routable.
    await f.queue('desk', { mode: 'push' });
    expect(await routeOnce()).toMatchObject({ offered: 1 });
    expect(await f.conversation('c1')).toMatchObject({ status: 'active', agentId: 'ann' });
  });

  it('skips agents who are busy_dnd, away or offline, and pushes to busy ones', async () => {
    await f.queue('inbound', { mode: 'push' });
    await f.agent('a-dnd', 5, ['inbound'], 'busy_dnd');
    await f.agent('b-away', 5, ['inbound'], 'away');
    await f.agent('c-offline', 5, ['inbound'], 'offline');
    await f.agent('d-busy', 1, ['inbound'], 'busy');
    await f.open('c1', 'inbound');
    t.clock.advance(SECOND);
    await f.open('c2', 'inbound');
    expect(await routeOnce()).toMatchObject({ offered: 1 });
    expect(await agentOf(['c1', 'c2'])).toEqual({ c1: 'd-busy', c2: undefined });
    for (const agentId of ['a-dnd', 'b-away', 'c-offline']) expect(await f.claimIds(agentId)).toEqual([]);
  });
});
