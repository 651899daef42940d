/**
 * Capacity through HTTP: when an agent may take work (queue membership, presence, free units),
 * what is refused (409 naming the condition, 404 for an unknown agent, nothing written), and
 * how every transition moves the agent's capacity: active consumes from the moment of a push,
 * waiting consumes none, wrap-up blocks per channel policy (always, never, a fixed time that a
 * supervisor's close does not cut short but the agent's own close does), a close, a release or
 * a transfer to a queue gives it back, a transfer to an agent moves it (and needs the target's
 * room), a supervisor's forced assignment may go over and says so. Finally, when everything
 * is finished nothing is left held, and the reconciler finds nothing to repair.
 *
 * Configuration for the whole file: voice costs 2 units and its wrap-up blocks for 45 s; live
 * chat's wrap-up never blocks; every other channel costs 1 and its wrap-up blocks until closed.
 */
import { CapacityReconciler } from '@lib/conversation-lifecycle';
import { startApp, type Answer, type TestApp } from './support/start-app';
import { Floor } from './support/work-distribution';

const T0 = '2026-03-02T09:00:00.000Z';
const SECOND = 1_000;
const ENV = { CAPACITY_UNITS: 'voice=2', WRAP_UP_CAPACITY_BLOCK: 'live_chat=never,voice=45s' };
const PICK_PRESENCES = ['available', 'busy', 'busy_dnd'];
const PUSH_PRESENCES = ['available', 'busy'];

let t: TestApp;
let f: Floor;

beforeEach(async () => {
  t = await startApp({ provision: 'none', clockStart: T0, env: ENV });
  f = new Floor(t);
  await f.queue('support');
  await f.queue('billing');
});
afterEach(async () => {
  await t.close();
});

const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

/**
 * Sends a command that must be refused: the store's head does not move, the conversation is
 * where it was (same revision), and the answer is returned for its code and details.
 */
const refused = async (conversationId: string, action: string, body: unknown): Promise<Answer> => {
  const head = await f.head();
  const before = await f.conversation(conversationId);
  const answer = await t.post(`/api/conversations/${conversationId}/${action}`, body);
  expect(answer.statusCode).toBeGreaterThanOrEqual(400);
  expect(answer.statusCode).toBeLessThan(500);
  expect(await f.head()).toBe(head);
  const after = await f.conversation(conversationId);
  expect({ status: after.status, agentId: after.agentId, revision: after.revision }).toEqual({
    status: before.status,
    agentId: before.agentId,
    revision: before.revision,
  });
  return answer;
};

describe('pick: the conditions the agent must meet', () => {
  it("an agent who does not serve the queue: 409 AGENT.NOT_IN_QUEUE naming the queue and the agent's queues", async () => {
    await f.agent('ann', 3, ['support']);
    await f.open('b1', 'billing');
    const answer = await refused('b1', 'pick', { agentId: 'ann' });
    expect(answer.statusCode).toBe(409);
    expect(answer.body).toMatchObject({ code: 'AGENT.NOT_IN_QUEUE', agentId: 'ann', queueId: 'billing', queueIds: ['support'] });
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, claims: [] });

    // Joining the queue is what makes it pass.
    await f.agent('ann', 3, ['support', 'billing']);
    expect((await f.pick('b1', 'ann')).status).toBe('active');
  });

  it.each(['away', 'offline'])(
    'an agent who is %s: 409 AGENT.PRESENCE_DOES_NOT_ALLOW_WORK naming the presences that would',
    async (presence) => {
      await f.agent('ann', 3, ['support'], presence);
      await f.open('c1', 'support');
      const answer = await refused('c1', 'pick', { agentId: 'ann' });
      expect(answer.statusCode).toBe(409);
      expect(answer.body).toMatchObject({
        code: 'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK',
        agentId: 'ann',
        presence,
        purpose: 'pick',
        allowedPresences: PICK_PRESENCES,
      });
      expect(await f.agentNow('ann')).toMatchObject({ used: 0, claims: [] });
    },
  );

  it.each(PICK_PRESENCES)('an agent who is %s may pick', async (presence) => {
    await f.agent('ann', 3, ['support'], presence);
    await f.open('c1', 'support');
    expect(await f.pick('c1', 'ann')).toMatchObject({ status: 'active' });
    expect(await f.usage('ann')).toEqual({ used: 1, blocked: 0, free: 2 });
  });

  it('an agent without free capacity: 409 AGENT.NO_FREE_CAPACITY with used, blocked, free and what was needed', async () => {
    await f.agent('ann', 2, ['support']);
    for (const id of ['c1', 'c2', 'c3']) await f.open(id, 'support', { channel: 'sms' });
    await f.pick('c1', 'ann');
    await f.pick('c2', 'ann');
    await f.endByAgent('c2', 'ann'); // sms wrap-up blocks until closed
    const answer = await refused('c3', 'pick', { agentId: 'ann' });
    expect(answer.statusCode).toBe(409);
    expect(answer.body).toMatchObject({
      code: 'AGENT.NO_FREE_CAPACITY',
      agentId: 'ann',
      capacity: 2,
      used: 1,
      blocked: 1,
      free: 0,
      needed: 1,
      channel: 'sms',
    });
    expect(await f.claimIds('ann')).toEqual(['c1', 'c2']);
  });

  it('a voice call costs 2 units (CAPACITY_UNITS): refused with one unit free, while a live chat still fits', async () => {
    await f.agent('ann', 3, ['support']);
    await f.open('v1', 'support', { channel: 'voice' });
    await f.open('v2', 'support', { channel: 'voice' });
    await f.open('l1', 'support', { channel: 'live_chat' });
    await f.pick('v1', 'ann');
    expect(await f.usage('ann')).toEqual({ used: 2, blocked: 0, free: 1 });

    const answer = await refused('v2', 'pick', { agentId: 'ann' });
    expect(answer.body).toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY', used: 2, free: 1, needed: 2, channel: 'voice' });
    await f.pick('l1', 'ann');
    expect(await f.usage('ann')).toEqual({ used: 3, blocked: 0, free: 0 });
    expect((await f.agentNow('ann')).claims.map((c) => [c.conversationId, c.units])).toEqual([
      ['v1', 2],
      ['l1', 1],
    ]);
  });

  it('an agent nobody registered: 404 AGENT.NOT_FOUND, nothing written', async () => {
    await f.open('c1', 'support');
    const answer = await refused('c1', 'pick', { agentId: 'ghost' });
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toMatchObject({ code: 'AGENT.NOT_FOUND', agentId: 'ghost' });
    expect(await f.historyTypes('c1')).toEqual(['ConversationOpened']);
  });

  it('a push (assign) needs available or busy: busy_dnd and away are refused with purpose push', async () => {
    await f.agent('dnd', 3, ['support'], 'busy_dnd');
    await f.agent('away', 3, ['support'], 'away');
    await f.agent('busy', 3, ['support'], 'busy');
    await f.open('c1', 'support');
    for (const [agentId, presence] of [
      ['dnd', 'busy_dnd'],
      ['away', 'away'],
    ]) {
      const answer = await refused('c1', 'assign', { agentId });
      expect(answer.body).toMatchObject({
        code: 'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK',
        presence,
        purpose: 'push',
        allowedPresences: PUSH_PRESENCES,
      });
    }
    expect(await f.assign('c1', 'busy')).toMatchObject({ status: 'active' });
  });
});

describe('what each transition does to capacity', () => {
  beforeEach(async () => {
    await f.agent('ann', 2, ['support']);
    await f.agent('bob', 2, ['support']);
  });

  it('a push holds capacity from the moment it is offered; accepting keeps it, rejecting gives it back', async () => {
    await f.open('c1', 'support');
    await f.open('c2', 'support');
    await f.assign('c1', 'ann');
    expect(await f.conversation('c1')).toMatchObject({ status: 'active', agentId: 'ann', assignment: 'awaiting_acceptance' });
    expect(await f.usage('ann')).toEqual({ used: 1, blocked: 0, free: 1 });
    await f.accept('c1', 'ann');
    expect(await f.usage('ann')).toEqual({ used: 1, blocked: 0, free: 1 });

    await f.assign('c2', 'ann');
    expect(await f.usage('ann')).toEqual({ used: 2, blocked: 0, free: 0 });
    await f.reject('c2', 'ann');
    expect(await f.conversation('c2')).toMatchObject({ status: 'open' });
    expect(await f.usage('ann')).toEqual({ used: 1, blocked: 0, free: 1 });
    expect(await f.claimIds('ann')).toEqual(['c1']);
  });

  it('waiting holds nothing; reviving takes capacity again (and is refused when there is none)', async () => {
    await f.open('s1', 'support', { channel: 'sms' });
    await f.open('s2', 'support', { channel: 'sms' });
    await f.open('s3', 'support', { channel: 'sms' });
    await f.pick('s1', 'ann');
    await f.closeSession('s1', 'ann');
    expect(await f.conversation('s1')).toMatchObject({ status: 'waiting', agentId: 'ann' });
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 0, free: 2 });
    expect(await f.claimIds('ann')).toEqual([]);

    await f.pick('s2', 'ann');
    await f.pick('s3', 'ann');
    const full = await refused('s1', 'revive', { agentId: 'ann' });
    expect(full.body).toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY', agentId: 'ann', free: 0 });

    await f.release('s3', 'ann');
    expect(await f.command('s1', 'revive', { agentId: 'ann' })).toMatchObject({ status: 'active' });
    expect(await f.claimIds('ann')).toEqual(['s1', 's2']);
  });

  it('wrap-up "always" (sms by default) blocks until the agent closes the session', async () => {
    await f.open('s1', 'support', { channel: 'sms' });
    await f.pick('s1', 'ann');
    await f.endByAgent('s1', 'ann');
    t.clock.advance(24 * 3600 * SECOND);
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 1, free: 1 });
    expect((await f.agentNow('ann')).claims).toEqual([expect.objectContaining({ conversationId: 's1', holding: 'wrap_up' })]);
    expect((await f.agentNow('ann')).claims[0].blockedUntil).toBeUndefined();
    await f.closeSession('s1', 'ann');
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 0, free: 2 });
  });

  it('wrap-up "always" also ends with a supervisor\'s close', async () => {
    await f.open('s1', 'support', { channel: 'sms' });
    await f.pick('s1', 'ann');
    await f.endByAgent('s1', 'ann');
    await f.forceClose('s1');
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, blocked: 0, free: 2, claims: [] });
  });

  it('wrap-up "never" (live_chat here) frees the capacity as soon as the conversation is ended', async () => {
    await f.open('l1', 'support');
    await f.pick('l1', 'ann');
    await f.endByAgent('l1', 'ann');
    expect(await f.conversation('l1')).toMatchObject({ status: 'wrap_up', agentId: 'ann' });
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, blocked: 0, free: 2, claims: [] });
  });

  it('a fixed wrap-up block (voice 45 s) blocks both units until 45 s after wrap-up began, then frees them without any event', async () => {
    await f.agent('ann', 3, ['support']);
    for (const id of ['v1', 'v2']) await f.open(id, 'support', { channel: 'voice' });
    await f.pick('v1', 'ann');
    t.clock.advance(10 * SECOND);
    await f.endByAgent('v1', 'ann');
    const ended = 10 * SECOND;
    expect(await f.agentNow('ann')).toMatchObject({
      used: 0,
      blocked: 2,
      free: 1,
      claims: [expect.objectContaining({ conversationId: 'v1', holding: 'wrap_up', units: 2, blockedUntil: at(ended + 45 * SECOND) })],
    });
    expect(await f.boardRow('ann')).toMatchObject({ blocked: 2, free: 1 });
    expect((await refused('v2', 'pick', { agentId: 'ann' })).body).toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY', blocked: 2, needed: 2 });

    t.clock.set(at(ended + 45 * SECOND - 1));
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 2, free: 1 });
    t.clock.set(at(ended + 45 * SECOND));
    const before = await f.head();
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 0, free: 3 });
    expect(await f.boardRow('ann')).toMatchObject({ used: 0, blocked: 0, free: 3 });
    expect(await f.head()).toBe(before);

    // The block is over: the units are there to be taken, though the conversation is still in wrap-up.
    await f.pick('v2', 'ann');
    expect(await f.conversation('v1')).toMatchObject({ status: 'wrap_up' });
    expect(await f.usage('ann')).toEqual({ used: 2, blocked: 0, free: 1 });
    await f.closeSession('v1', 'ann');
    expect(await f.claimIds('ann')).toEqual(['v2']);
  });

  it("a fixed block outlives a supervisor's force close, and is released once it has run out", async () => {
    await f.open('v1', 'support', { channel: 'voice' });
    await f.pick('v1', 'ann');
    await f.endByAgent('v1', 'ann');
    t.clock.advance(5 * SECOND);
    await f.forceClose('v1');
    expect(await f.conversation('v1')).toMatchObject({ status: 'closed' });
    expect(await f.agentNow('ann')).toMatchObject({
      used: 0,
      blocked: 2,
      free: 0,
      claims: [expect.objectContaining({ conversationId: 'v1', holding: 'wrap_up', blockedUntil: at(45 * SECOND) })],
    });

    t.clock.set(at(45 * SECOND));
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 0, free: 2 });
    // The claim that ran out is cleared by the reconciler (nothing else writes when a block ends).
    await f.viewsCaughtUp();
    const pass = await t.app.get(CapacityReconciler).runOnce();
    expect(pass).toMatchObject({ failed: 0, settled: 1 });
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, blocked: 0, free: 2, claims: [] });
  });

  it("a fixed block is cut short by the agent's own close", async () => {
    await f.open('v1', 'support', { channel: 'voice' });
    await f.pick('v1', 'ann');
    await f.endByAgent('v1', 'ann');
    t.clock.advance(5 * SECOND);
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 2, free: 0 });
    await f.closeSession('v1', 'ann');
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, blocked: 0, free: 2, claims: [] });
  });

  it('a close gives capacity back: a record resolved, a live chat the customer left before accepting', async () => {
    await f.open('r1', 'support', { channel: 'record' });
    await f.open('l1', 'support');
    await f.pick('r1', 'ann');
    await f.assign('l1', 'ann');
    expect(await f.usage('ann')).toEqual({ used: 2, blocked: 0, free: 0 });

    expect(await f.command('r1', 'resolve', { agentId: 'ann' })).toMatchObject({ status: 'closed' });
    expect(await f.claimIds('ann')).toEqual(['l1']);
    expect(await f.command('l1', 'end', { by: 'customer' })).toMatchObject({ status: 'closed' });
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, free: 2, claims: [] });
  });

  it('releasing to the queue and transferring to another queue give the capacity back', async () => {
    await f.open('c1', 'support', { channel: 'sms' });
    await f.open('c2', 'support', { channel: 'sms' });
    await f.pick('c1', 'ann');
    await f.pick('c2', 'ann');
    await f.release('c1', 'ann');
    expect(await f.claimIds('ann')).toEqual(['c2']);
    await f.command('c2', 'transfer', { agentId: 'ann', toQueueId: 'billing' });
    expect(await f.conversation('c2')).toMatchObject({ status: 'open', queueId: 'billing' });
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, free: 2, claims: [] });
  });

  it('transferring to an agent moves the capacity to them (they need not serve the queue)', async () => {
    await f.agent('cy', 1, ['billing'], 'busy_dnd');
    await f.open('c1', 'support', { channel: 'sms' });
    await f.pick('c1', 'ann');
    await f.command('c1', 'transfer', { agentId: 'ann', toAgentId: 'cy' });
    expect(await f.conversation('c1')).toMatchObject({ status: 'active', agentId: 'cy' });
    expect(await f.claimIds('ann')).toEqual([]);
    expect(await f.agentNow('cy')).toMatchObject({ used: 1, free: 0, claims: [expect.objectContaining({ conversationId: 'c1' })] });
  });

  it("transferring to an agent needs the target's room and presence; refused, the conversation and both agents stay as they were", async () => {
    await f.agent('cy', 1, ['support']);
    await f.agent('dee', 3, ['support'], 'away');
    for (const id of ['c1', 'c2']) await f.open(id, 'support', { channel: 'sms' });
    await f.pick('c1', 'ann');
    await f.pick('c2', 'cy');
    const annBefore = await f.agentNow('ann');
    const cyBefore = await f.agentNow('cy');

    const full = await refused('c1', 'transfer', { agentId: 'ann', toAgentId: 'cy' });
    expect(full.statusCode).toBe(409);
    expect(full.body).toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY', agentId: 'cy', capacity: 1, used: 1, free: 0, needed: 1 });
    const away = await refused('c1', 'transfer', { agentId: 'ann', toAgentId: 'dee' });
    expect(away.body).toMatchObject({ code: 'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK', agentId: 'dee', presence: 'away', purpose: 'transfer' });
    const ghost = await refused('c1', 'transfer', { agentId: 'ann', toAgentId: 'ghost' });
    expect(ghost.statusCode).toBe(404);
    expect(ghost.body).toMatchObject({ code: 'AGENT.NOT_FOUND', agentId: 'ghost' });

    expect(await f.agentNow('ann')).toEqual(annBefore);
    expect(await f.agentNow('cy')).toEqual(cyBefore);
    expect(await f.claimIds('dee')).toEqual([]);
  });

  it("a supervisor's forced assignment may go over capacity, presence and queue, and is recorded as forced", async () => {
    await f.agent('ann', 1, ['support']);
    await f.agent('off', 1, [], 'offline');
    for (const id of ['c1', 'c2', 'c3']) await f.open(id, 'support');
    await f.pick('c1', 'ann');
    expect((await refused('c2', 'assign', { agentId: 'ann' })).body).toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY' });

    expect(await f.forceAssign('c2', 'ann')).toMatchObject({ status: 'active' });
    expect(await f.conversation('c2')).toMatchObject({ status: 'active', agentId: 'ann', forced: true, assignment: 'accepted' });
    expect(await f.agentNow('ann')).toMatchObject({
      capacity: 1,
      used: 2,
      free: 0,
      claims: [
        expect.objectContaining({ conversationId: 'c1', forced: false }),
        expect.objectContaining({ conversationId: 'c2', forced: true }),
      ],
    });
    expect(await f.boardRow('ann')).toMatchObject({ used: 2, free: 0, forcedOver: true });
    const history = (await t.get('/api/conversations/c2/history')).body.events as Array<{ type: string; actor: unknown }>;
    expect(history[history.length - 1]).toMatchObject({ type: 'ConversationForceAssigned', actor: { kind: 'supervisor', id: 'sup-1' } });

    // Offline and serving no queue: a forced assignment needs only a registered agent.
    await f.forceAssign('c3', 'off');
    expect(await f.boardRow('off')).toMatchObject({ used: 1, forcedOver: false });
  });

  it('forcing to an unknown agent is 404 (the supervisor is the caller: supervisorId may be left out)', async () => {
    await f.open('c1', 'support');
    const ghost = await refused('c1', 'assign', { agentId: 'ghost', force: true, supervisorId: 'sup-1' });
    expect(ghost.statusCode).toBe(404);
    expect(ghost.body).toMatchObject({ code: 'AGENT.NOT_FOUND', agentId: 'ghost' });
  });
});

describe('no leak: once everything is finished, nothing is held', () => {
  it('after picks, pushes, rejects, transfers, revives, wrap-ups and closes of every kind, every agent is all free; the reconciler only clears the block that ran out', async () => {
    await f.agent('ann', 4, ['support', 'billing']);
    await f.agent('bob', 4, ['support']);
    await f.agent('cy', 1, ['billing']);
    const channels = ['live_chat', 'sms', 'voice', 'record', 'persistent_chat'];
    const ids = Array.from({ length: 10 }, (_, i) => `n${i}`);
    for (const [i, id] of ids.entries()) await f.open(id, i % 2 ? 'billing' : 'support', { channel: channels[i % channels.length] });

    await f.pick('n0', 'ann'); // live_chat
    await f.assign('n2', 'bob'); // voice, push
    await f.reject('n2', 'bob');
    await f.pick('n2', 'ann'); // voice
    await f.pick('n4', 'bob'); // persistent_chat
    await f.closeSession('n4', 'bob'); // waiting
    await f.command('n4', 'revive', { agentId: 'bob' });
    await f.command('n4', 'transfer', { agentId: 'bob', toAgentId: 'ann' });
    await f.pick('n1', 'cy'); // sms
    await f.command('n1', 'transfer', { agentId: 'cy', toQueueId: 'support' });
    await f.pick('n1', 'bob');
    await f.forceAssign('n3', 'cy'); // record
    await f.forceAssign('n5', 'cy'); // live_chat over capacity
    await f.pick('n6', 'bob'); // sms
    await f.endByAgent('n6', 'bob');

    // Finish: every kind of ending.
    await f.finish('n0', 'ann');
    await f.endByAgent('n2', 'ann');
    await f.forceClose('n2'); // fixed voice block outlives this close...
    await f.finish('n4', 'ann');
    await f.finish('n1', 'bob');
    await f.command('n3', 'resolve', { agentId: 'cy' });
    await f.command('n5', 'end', { by: 'customer' });
    await f.closeSession('n5', 'cy');
    await f.forceClose('n6');
    for (const id of ['n7', 'n8', 'n9']) await f.forceClose(id);
    t.clock.advance(45 * SECOND); // ...until it has run out

    for (const id of ids) expect({ id, status: (await f.conversation(id)).status }).toEqual({ id, status: 'closed' });
    for (const agentId of ['ann', 'bob', 'cy']) {
      const now = await f.agentNow(agentId);
      expect({ agentId, used: now.used, blocked: now.blocked, free: now.free }).toEqual({
        agentId,
        used: 0,
        blocked: 0,
        free: now.capacity,
      });
    }
    // Only the voice block that ran out is still listed; the reconciler clears it and nothing else.
    expect(await f.claimIds('ann')).toEqual(['n2']);
    await f.viewsCaughtUp();
    expect(await t.app.get(CapacityReconciler).runOnce()).toMatchObject({ settled: 1, failed: 0 });
    for (const agentId of ['ann', 'bob', 'cy']) expect({ agentId, claims: await f.claimIds(agentId) }).toEqual({ agentId, claims: [] });
    expect((await f.board()).map((row) => [row.agentId, row.used, row.blocked, row.free, row.forcedOver, row.claims.length])).toEqual([
      ['ann', 0, 0, 4, false, 0],
      ['bob', 0, 0, 4, false, 0],
      ['cy', 0, 0, 1, false, 0],
    ]);
  });
});
