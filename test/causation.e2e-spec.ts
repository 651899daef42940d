/**
 * Correlation and causation through the running service: every event records the request, timer
 * pass, routing pass or reconciler pass it belongs to (correlationId) and what directly caused it
 * (causationId), and the conversation's history shows both with the agent capacity events each
 * entry caused. The tests follow every automatic step back to the event that caused it:
 *
 * - a routing offer names the event that put the item in its queue (the open, an expired push, a
 *   rejected push), its capacity reservation names the push command, its settlements the
 *   conversation events;
 * - a timer expiry names the event that started the timer's condition, and the capacity release
 *   it caused names the expiry;
 * - an HTTP command records the caller's X-Request-Id (when it is an acceptable token, otherwise
 *   a generated UUID, echoed on every answer, errors included) and its Idempotency-Key;
 * - a pick, end and close chain the reservation, the wrap-up block and the release;
 * - a reconciler repair names the conversation's last event.
 *
 * Deterministic: routing, timers and the reconciler are run by the test (ROUTING off, the timer
 * loop and reconciler an hour apart), once the views include every write; the clock is injected.
 */
import { CapacityReconciler, PushRouter, type HistoryEntry, type RoutingPassResult } from '@lib/conversation-lifecycle';
import { agentStream, queueStream } from '@lib/domain';
import { startApp, type Answer, type TestApp } from './support/start-app';
import { fireDueTimers } from './support/timers';
import { Floor, expectStatus } from './support/work-distribution';

const T0 = '2026-03-02T09:00:00.000Z';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const PUSH_RESERVATION_MS = 120 * SECOND;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROUTING_PASS = /^routing:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMER_PASS = /^timers:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RECONCILER_PASS = /^reconcile:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CAPACITY_EVENTS = ['AgentCapacityReserved', 'AgentCapacityReleased', 'AgentCapacityBlockedForWrapUp'];

let t: TestApp;
let f: Floor;

beforeEach(async () => {
  t = await startApp({
    provision: 'none',
    clockStart: T0,
    env: {
      ROUTING: 'off',
      TIMERS: 'on',
      TIMER_POLL_INTERVAL: '1h',
      CAPACITY_RECONCILE_INTERVAL: '1h',
      PUSH_RESERVATION_TIMEOUT: '120s',
      // Voice wrap-up blocks for 45 s (so a supervisor's close leaves a block the reconciler
      // clears); every other channel's wrap-up blocks until closed (the default).
      WRAP_UP_CAPACITY_BLOCK: 'voice=45s',
    },
  });
  f = new Floor(t);
});
afterEach(async () => {
  await t?.close();
});

const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

/** One routing pass run by the test, once the views have every write so far. */
const routeOnce = async (): Promise<RoutingPassResult> => {
  await f.viewsCaughtUp();
  return t.app.get(PushRouter).runOnce();
};

/** One timer pass as of the app's clock, once the timer projection has every write so far. */
const fireTimers = async (options: { sweep?: boolean } = {}) => fireDueTimers(t, await f.head(), options);

const historyOf = async (id: string): Promise<HistoryEntry[]> =>
  expectStatus(await t.get(`/api/conversations/${id}/history`), 200, `GET history ${id}`).body.events as HistoryEntry[];

/** The one entry of this type (fails when there are none or several). */
const only = (entries: HistoryEntry[], type: string, which?: (entry: HistoryEntry) => boolean): HistoryEntry => {
  const found = entries.filter((entry) => entry.type === type && (which?.(entry) ?? true));
  if (found.length !== 1)
    throw new Error(`expected one ${type} in the history, found ${found.length}: ${entries.map((e) => e.type).join(', ')}`);
  return found[0];
};

/** The agent's capacity events about this conversation, from its stream, in order. */
const capacityEventsOf = async (agentId: string, conversationId: string) =>
  (await t.store.readStream(agentStream(agentId))).filter(
    (event) => CAPACITY_EVENTS.includes(event.type) && (event.data as { conversationId?: string }).conversationId === conversationId,
  );

/**
 * The history's causation is consistent: every entry either was caused by its own command (a
 * request) or names an earlier entry of this history; every capacity effect is attached to the
 * entry it names (by event id, or by command id for a reservation made before the write), and
 * every capacity event the agents' streams hold about the conversation is shown exactly once.
 */
const expectConsistentCausation = async (conversationId: string, entries: HistoryEntry[], agentIds: string[]): Promise<void> => {
  entries.forEach((entry, index) => {
    expect(typeof entry.correlationId).toBe('string');
    expect(typeof entry.causationId).toBe('string');
    const earlier = entries.slice(0, index).map((e) => e.eventId);
    if (entry.causationId !== entry.commandId) {
      // An automatic step: it names an earlier event of this conversation.
      expect({ entry: entry.type, causedByEarlierEvent: earlier.includes(entry.causationId as string) }).toEqual({
        entry: entry.type,
        causedByEarlierEvent: true,
      });
    }
    for (const effect of entry.capacityEffects ?? []) {
      expect({ entry: entry.type, effect: effect.type, causation: effect.causationId }).toEqual({
        entry: entry.type,
        effect: effect.type,
        causation: effect.causationId === entry.commandId ? entry.commandId : entry.eventId,
      });
    }
  });
  const shown = entries.flatMap((entry) => (entry.capacityEffects ?? []).map((effect) => effect.eventId));
  expect(new Set(shown).size).toBe(shown.length);
  const stored: string[] = [];
  for (const agentId of agentIds) stored.push(...(await capacityEventsOf(agentId, conversationId)).map((event) => event.id));
  expect([...shown].sort()).toEqual([...stored].sort());
};

/** Follows causationId back from an entry to the request that started it: the types on the way. */
const chainOf = (entries: HistoryEntry[], start: HistoryEntry): string[] => {
  const byId = new Map(entries.map((entry) => [entry.eventId, entry]));
  const chain: string[] = [];
  let current: HistoryEntry | undefined = start;
  for (let step = 0; current !== undefined && step <= entries.length; step++) {
    chain.push(current.type);
    if (current.causationId === current.commandId) return chain;
    current = byId.get(current.causationId as string);
  }
  throw new Error(`the causation of ${start.type} does not lead back to a request: ${chain.join(' <- ')}`);
};

/** A push queue `inbound`, an available agent `ann` with room for two, and conversations opened into it. */
const pushFloor = async (ids: string[]) => {
  await f.queue('inbound', { mode: 'push' });
  await f.agent('ann', 2, ['inbound']);
  for (const id of ids) {
    t.clock.advance(SECOND);
    await f.open(id, 'inbound');
  }
};

describe('push routing offers', () => {
  it('name the event that put the item in its queue, in one routing pass; the reservation names the push command', async () => {
    await pushFloor(['c1', 'c2']);
    const pass = await routeOnce();
    expect(pass.offered).toBe(2);
    expect(await f.conversation('c1')).toMatchObject({ status: 'active', agentId: 'ann', assignment: 'awaiting_acceptance' });

    const history = await historyOf('c1');
    expect(history.map((e) => e.type)).toEqual(['ConversationOpened', 'ConversationPushedToAgent']);
    const [opened, pushed] = history;

    // The open was a request: its own command caused it.
    expect(opened.commandId).toEqual(expect.any(String));
    expect(opened.causationId).toBe(opened.commandId);
    expect(opened.correlationId).toMatch(UUID);

    // The offer: routing's pass, caused by the open.
    expect(pushed.actor).toEqual({ kind: 'system', id: 'routing' });
    expect(pushed.correlationId).toMatch(ROUTING_PASS);
    expect(pushed.causationId).toBe(opened.eventId);
    expect(pushed.commandId).toBe('routing:c1:1:ann');
    expect(chainOf(history, pushed)).toEqual(['ConversationPushedToAgent', 'ConversationOpened']);
    await expectConsistentCausation('c1', history, ['ann']);

    // One pass, one correlation: the second item's offer belongs to the same pass, caused by its own open.
    const second = await historyOf('c2');
    const secondPush = only(second, 'ConversationPushedToAgent');
    expect(secondPush.correlationId).toBe(pushed.correlationId);
    expect(secondPush.causationId).toBe(only(second, 'ConversationOpened').eventId);
    expect(secondPush.causationId).not.toBe(pushed.causationId);

    // The capacity it took: reserved by the push command (not by the open), in the routing pass,
    // so the history shows it on the push, not on the open.
    const [reserved] = await capacityEventsOf('ann', 'c1');
    expect(reserved.metadata).toMatchObject({ correlationId: pushed.correlationId, causationId: pushed.commandId });
    expect(opened.capacityEffects).toBeUndefined();
    expect(pushed.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityReserved',
        causationId: pushed.commandId,
        correlationId: pushed.correlationId,
        at: pushed.at,
      }),
    ]);
  });

  it('after a rejection, the next offer names the rejection; the released capacity names the rejection too', async () => {
    await pushFloor(['c1']);
    await f.agent('bob', 1, ['inbound'], 'away');
    expect((await routeOnce()).offered).toBe(1);
    await f.agent('bob', 1, ['inbound'], 'available');

    const reject = expectStatus(
      await t.post('/api/conversations/c1/reject', { agentId: 'ann' }, { 'X-Request-Id': 'req-reject', 'Idempotency-Key': 'reject-1' }),
      200,
      'reject c1',
    );
    expect(reject.headers['x-request-id']).toBe('req-reject');
    expect((await routeOnce()).offered).toBe(1);
    expect(await f.conversation('c1')).toMatchObject({ status: 'active', agentId: 'bob' });

    const history = await historyOf('c1');
    expect(history.map((e) => e.type)).toEqual([
      'ConversationOpened',
      'ConversationPushedToAgent',
      'ConversationPushRejected',
      'ConversationPushedToAgent',
    ]);
    const [opened, first, rejected, second] = history;
    expect(first.causationId).toBe(opened.eventId);
    expect(rejected).toMatchObject({ commandId: 'reject-1', causationId: 'reject-1', correlationId: 'req-reject' });
    expect(second.causationId).toBe(rejected.eventId);
    expect(second.correlationId).toMatch(ROUTING_PASS);
    expect(second.correlationId).not.toBe(first.correlationId);
    expect(second.commandId).toBe(`routing:c1:${second.revision}:bob`);
    expect(chainOf(history, second)).toEqual(['ConversationPushedToAgent', 'ConversationPushRejected']);
    await expectConsistentCausation('c1', history, ['ann', 'bob']);

    // ann's release is the rejection's; bob's reservation is the second push command's.
    expect((await capacityEventsOf('ann', 'c1')).map((e) => [e.type, e.metadata.correlationId, e.metadata.causationId])).toEqual([
      ['AgentCapacityReserved', first.correlationId, first.commandId],
      ['AgentCapacityReleased', 'req-reject', rejected.eventId],
    ]);
    expect((await capacityEventsOf('bob', 'c1')).map((e) => [e.type, e.metadata.correlationId, e.metadata.causationId])).toEqual([
      ['AgentCapacityReserved', second.correlationId, second.commandId],
    ]);
    expect(rejected.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityReleased',
        causationId: rejected.eventId,
        correlationId: 'req-reject',
      }),
    ]);
    expect(second.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'bob',
        type: 'AgentCapacityReserved',
        causationId: second.commandId,
        correlationId: second.correlationId,
      }),
    ]);
  });
});

describe('timer expiries', () => {
  it('an unanswered push expires: the expiry names the push, in one timer pass; the release names the expiry; the next offer names the expiry', async () => {
    await pushFloor(['c1']);
    expect((await routeOnce()).offered).toBe(1);
    const pushedAt = Date.parse(only(await historyOf('c1'), 'ConversationPushedToAgent').at);

    // Not a millisecond early; then due.
    t.clock.set(new Date(pushedAt + PUSH_RESERVATION_MS - 1).toISOString());
    expect((await fireTimers()).fired).toBe(0);
    t.clock.set(new Date(pushedAt + PUSH_RESERVATION_MS).toISOString());
    expect((await fireTimers()).fired).toBe(1);
    expect(await f.conversation('c1')).toMatchObject({ status: 'open', declinedBy: ['ann'] });
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 0, free: 2 });

    const history = await historyOf('c1');
    expect(history.map((e) => e.type)).toEqual(['ConversationOpened', 'ConversationPushedToAgent', 'ConversationPushReservationExpired']);
    const [opened, pushed, expired] = history;
    expect(expired.actor).toEqual({ kind: 'system', id: 'push-reservation-timer' });
    expect(expired.correlationId).toMatch(TIMER_PASS);
    expect(expired.causationId).toBe(pushed.eventId);
    expect(chainOf(history, expired)).toEqual(['ConversationPushReservationExpired', 'ConversationPushedToAgent', 'ConversationOpened']);
    expect(expired.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityReleased',
        causationId: expired.eventId,
        correlationId: expired.correlationId,
        at: expired.at,
      }),
    ]);
    await expectConsistentCausation('c1', history, ['ann']);

    // Another agent joins: the item is offered again, because it expired.
    await f.agent('bob', 1, ['inbound']);
    expect((await routeOnce()).offered).toBe(1);
    const again = await historyOf('c1');
    const reoffer = again[again.length - 1];
    expect(reoffer).toMatchObject({ type: 'ConversationPushedToAgent', details: expect.objectContaining({ agentId: 'bob' }) });
    expect(reoffer.causationId).toBe(expired.eventId);
    expect(chainOf(again, reoffer)).toEqual([
      'ConversationPushedToAgent',
      'ConversationPushReservationExpired',
      'ConversationPushedToAgent',
      'ConversationOpened',
    ]);
    await expectConsistentCausation('c1', again, ['ann', 'bob']);

    // The reservations are the push commands' (not the open's, nor the expiry's).
    expect((await capacityEventsOf('ann', 'c1')).map((e) => [e.type, e.metadata.causationId])).toEqual([
      ['AgentCapacityReserved', pushed.commandId],
      ['AgentCapacityReleased', expired.eventId],
    ]);
    expect((await capacityEventsOf('bob', 'c1')).map((e) => [e.type, e.metadata.causationId])).toEqual([
      ['AgentCapacityReserved', reoffer.commandId],
    ]);
    expect(opened.capacityEffects).toBeUndefined();
    expect(expired.capacityEffects?.map((effect) => effect.type)).toEqual(['AgentCapacityReleased']);
  });

  it('expiries found due in the same timer pass share its correlation, each caused by its own push', async () => {
    await pushFloor(['c1', 'c2']);
    expect((await routeOnce()).offered).toBe(2);
    t.clock.advance(PUSH_RESERVATION_MS);
    expect((await fireTimers()).fired).toBe(2);

    const [one, two] = [await historyOf('c1'), await historyOf('c2')];
    const [expiredOne, expiredTwo] = [only(one, 'ConversationPushReservationExpired'), only(two, 'ConversationPushReservationExpired')];
    expect(expiredOne.correlationId).toMatch(TIMER_PASS);
    expect(expiredTwo.correlationId).toBe(expiredOne.correlationId);
    expect(expiredOne.causationId).toBe(only(one, 'ConversationPushedToAgent').eventId);
    expect(expiredTwo.causationId).toBe(only(two, 'ConversationPushedToAgent').eventId);
    // Both pushes came from one routing pass, the expiries from another kind of pass.
    expect(only(one, 'ConversationPushedToAgent').correlationId).toBe(only(two, 'ConversationPushedToAgent').correlationId);
    for (const expired of [expiredOne, expiredTwo]) {
      expect(expired.capacityEffects).toEqual([expect.objectContaining({ type: 'AgentCapacityReleased', causationId: expired.eventId })]);
    }
    await expectConsistentCausation('c1', one, ['ann']);
    await expectConsistentCausation('c2', two, ['ann']);
  });

  it('waiting inactivity names the event that started the inactivity clock (entering waiting, or the last message)', async () => {
    await f.queue('desk');
    await f.agent('ann', 2, ['desk']);
    for (const id of ['w1', 'w2']) {
      await f.open(id, 'desk', { channel: 'sms' });
      t.clock.advance(SECOND);
      await f.pick(id, 'ann');
      t.clock.advance(SECOND);
      expect(await f.closeSession(id, 'ann')).toMatchObject({ status: 'waiting' });
    }
    t.clock.advance(DAY);
    // w2's agent writes while it waits: its inactivity clock starts again.
    await f.command('w2', 'messages', { from: 'agent', agentId: 'ann' });
    t.clock.advance(6 * DAY + 60 * MINUTE); // w1 has waited 7 days and an hour, w2 6 days and an hour since the message
    await fireTimers();
    expect(await f.conversation('w1')).toMatchObject({ status: 'closed' });
    expect(await f.conversation('w2')).toMatchObject({ status: 'waiting' });
    t.clock.advance(DAY);
    await fireTimers();
    expect(await f.conversation('w2')).toMatchObject({ status: 'closed' });

    const w1 = await historyOf('w1');
    const w1Closed = only(w1, 'ConversationClosedForInactivity');
    const enteredWaiting = w1[w1.indexOf(w1Closed) - 1];
    expect(enteredWaiting.type).not.toBe('ConversationPicked');
    expect(w1Closed.correlationId).toMatch(TIMER_PASS);
    expect(w1Closed.causationId).toBe(enteredWaiting.eventId);
    expect(chainOf(w1, w1Closed)).toEqual(['ConversationClosedForInactivity', enteredWaiting.type]);

    const w2 = await historyOf('w2');
    const w2Closed = only(w2, 'ConversationClosedForInactivity');
    expect(w2Closed.causationId).toBe(only(w2, 'AgentMessageSent').eventId);
    expect(w2Closed.correlationId).toMatch(TIMER_PASS);
    expect(w2Closed.correlationId).not.toBe(w1Closed.correlationId);
    await expectConsistentCausation('w1', w1, ['ann']);
    await expectConsistentCausation('w2', w2, ['ann']);
  });

  it('auto-close in wrap-up names the event that entered wrap-up (which set the auto-close clock)', async () => {
    await f.queue('desk');
    await f.agent('ann', 2, ['desk']);
    await f.open('a1', 'desk', { channel: 'live_chat' });
    t.clock.advance(SECOND);
    await f.pick('a1', 'ann');
    t.clock.advance(SECOND);
    await f.endByAgent('a1', 'ann');
    t.clock.advance(15 * MINUTE); // live chat: wrap_up=15m
    expect((await fireTimers({ sweep: true })).fired).toBe(1);

    const history = await historyOf('a1');
    const ended = only(history, 'ConversationEndedByAgent');
    const closed = only(history, 'ConversationAutoClosed');
    expect(closed.correlationId).toMatch(TIMER_PASS);
    expect(closed.causationId).toBe(ended.eventId);
    // The wrap-up block it held until then is released because of the auto-close.
    expect(closed.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityReleased',
        causationId: closed.eventId,
        correlationId: closed.correlationId,
      }),
    ]);
    await expectConsistentCausation('a1', history, ['ann']);
  });

  it('auto-close in wrap-up names the event that entered wrap-up even when the earlier steps happened at the same instant', async () => {
    await f.queue('desk');
    await f.agent('ann', 2, ['desk']);
    // Open, pick and end without the clock moving: every step restarts the auto-close clock at T0.
    await f.open('a2', 'desk', { channel: 'live_chat' });
    await f.pick('a2', 'ann');
    await f.endByAgent('a2', 'ann');
    t.clock.advance(15 * MINUTE);
    expect((await fireTimers({ sweep: true })).fired).toBe(1);

    const history = await historyOf('a2');
    const closed = only(history, 'ConversationAutoClosed');
    expect(closed.details).toMatchObject({ fromStatus: 'wrap_up' });
    // The timer that fired is the wrap-up one (timer:auto_close:wrap_up:T0): the end started it.
    expect(history.find((e) => e.eventId === closed.causationId)?.type).toBe('ConversationEndedByAgent');
  });
});

describe('request ids and command ids of HTTP commands', () => {
  const openBody = (id: string) => ({ id, channel: 'live_chat', queueId: 'desk', customerId: `cust-${id}` });

  beforeEach(async () => {
    await f.queue('desk');
  });

  it('a conversation command records X-Request-Id as its correlation and Idempotency-Key as its cause, and echoes the request id', async () => {
    const answer = expectStatus(
      await t.post('/api/conversations', openBody('h1'), { 'X-Request-Id': 'trace-123', 'Idempotency-Key': 'cmd-1' }),
      201,
      'open h1',
    );
    expect(answer.headers['x-request-id']).toBe('trace-123');
    const [opened] = await historyOf('h1');
    expect(opened).toMatchObject({ type: 'ConversationOpened', commandId: 'cmd-1', correlationId: 'trace-123', causationId: 'cmd-1' });
    // As stored.
    const [stored] = await t.store.readStream('conversation-h1');
    expect(stored.id).toBe(opened.eventId);
    expect(stored.metadata).toMatchObject({ commandId: 'cmd-1', correlationId: 'trace-123', causationId: 'cmd-1' });

    // The same command again (same key) under another request: nothing new is written, the answer names its own request.
    const replay = await t.post('/api/conversations', openBody('h1'), { 'X-Request-Id': 'trace-456', 'Idempotency-Key': 'cmd-1' });
    expect(replay.statusCode).toBeLessThan(300);
    expect(replay.headers['x-request-id']).toBe('trace-456');
    expect(await historyOf('h1')).toHaveLength(1);
  });

  it('without headers: a generated request id (echoed) is the correlation, a generated command id the cause', async () => {
    const answer = expectStatus(await t.post('/api/conversations', openBody('h2')), 201, 'open h2');
    const requestId = answer.headers['x-request-id'] as string;
    expect(requestId).toMatch(UUID);
    const [opened] = await historyOf('h2');
    expect(opened.correlationId).toBe(requestId);
    expect(opened.commandId).toMatch(UUID);
    expect(opened.causationId).toBe(opened.commandId);
    expect(opened.causationId).not.toBe(requestId);
  });

  it.each([
    ['the widest accepted token (128 characters)', 'a'.repeat(128)],
    ['every accepted punctuation', 'A-z_0.9:svc@host/path+b64=='],
  ])('%s is kept', async (_what, requestId) => {
    const answer = expectStatus(await t.post('/api/conversations', openBody('h3'), { 'X-Request-Id': requestId }), 201, 'open h3');
    expect(answer.headers['x-request-id']).toBe(requestId);
    expect((await historyOf('h3'))[0].correlationId).toBe(requestId);
  });

  it.each([
    ['too long (129 characters)', 'a'.repeat(129)],
    ['too long (300 characters)', 'x'.repeat(300)],
    ['with spaces', 'trace 123'],
    ['with a quote and a semicolon', 'a";b'],
    ['with non-ASCII', 'trace-é'],
  ])('an unacceptable X-Request-Id (%s) is replaced by a UUID, in the answer and in the events', async (_what, given) => {
    const answer = expectStatus(await t.post('/api/conversations', openBody('h4'), { 'X-Request-Id': given }), 201, 'open h4');
    const requestId = answer.headers['x-request-id'] as string;
    expect(requestId).toMatch(UUID);
    expect((await historyOf('h4'))[0].correlationId).toBe(requestId);
  });

  it('every answer carries its request id, errors included', async () => {
    const cases: Array<[string, (requestId: string) => Promise<Answer>, number]> = [
      ['unknown conversation (GET)', (id) => t.get('/api/conversations/nope', { 'X-Request-Id': id }), 404],
      ['unknown conversation (history)', (id) => t.get('/api/conversations/nope/history', { 'X-Request-Id': id }), 404],
      [
        'unknown conversation (command)',
        (id) => t.post('/api/conversations/nope/close', { supervisorId: 'sup-1', reason: 'cleanup' }, { 'X-Request-Id': id }),
        404,
      ],
      ['invalid body', (id) => t.post('/api/conversations', {}, { 'X-Request-Id': id }), 400],
      [
        'malformed JSON',
        (id) =>
          t.request({
            method: 'POST',
            url: '/api/conversations',
            payload: '{"id":',
            headers: { 'content-type': 'application/json', 'X-Request-Id': id },
          }),
        400,
      ],
      ['no credentials', (id) => t.get('/api/conversations/nope', { authorization: '', 'X-Request-Id': id }), 401],
      // No OpenAPI document describes a route that does not exist: not checked against it.
      [
        'unknown route',
        (id) => t.request({ method: 'GET', url: '/api/no-such-route', headers: { 'X-Request-Id': id }, checkAnswer: false }),
        404,
      ],
    ];
    for (const [index, [what, send, status]] of cases.entries()) {
      const requestId = `err-${index}`;
      const answer = await send(requestId);
      expect({ what, status: answer.statusCode, requestId: answer.headers['x-request-id'] }).toEqual({ what, status, requestId });
    }
    // And an error answer to an unacceptable id names the UUID that replaced it.
    const replaced = await t.get('/api/conversations/nope', { 'X-Request-Id': 'has spaces' });
    expect(replaced.statusCode).toBe(404);
    expect(replaced.headers['x-request-id']).toMatch(UUID);
  });

  it('queue and agent commands record their request as both correlation and cause', async () => {
    expectStatus(await t.post('/api/queues', { id: 'sales', mode: 'push' }, { 'X-Request-Id': 'req-queue' }), 201, 'define sales');
    expectStatus(
      await t.post('/api/agents', { id: 'ann', capacity: 2, queueIds: ['sales'] }, { 'X-Request-Id': 'req-agent' }),
      201,
      'register ann',
    );
    const presence = expectStatus(
      await t.post('/api/agents/ann/presence', { presence: 'available' }, { 'X-Request-Id': 'req-presence' }),
      200,
      'ann available',
    );
    expect(presence.headers['x-request-id']).toBe('req-presence');
    const generated = expectStatus(await t.post('/api/queues', { id: 'sales', priority: 5 }), 200, 'change sales');
    const generatedId = generated.headers['x-request-id'] as string;
    expect(generatedId).toMatch(UUID);

    const queueEvents = await t.store.readStream(queueStream('sales'));
    expect(queueEvents.map((e) => [e.type, e.metadata.correlationId, e.metadata.causationId])).toEqual([
      ['QueueCreated', 'req-queue', 'req-queue'],
      ...queueEvents.slice(1).map((e) => [e.type, generatedId, generatedId]),
    ]);
    expect(queueEvents.length).toBeGreaterThan(1);
    const agentEvents = await t.store.readStream(agentStream('ann'));
    expect(agentEvents.map((e) => [e.type, e.metadata.correlationId, e.metadata.causationId])).toEqual([
      ['AgentRegistered', 'req-agent', 'req-agent'],
      ['AgentPresenceChanged', 'req-presence', 'req-presence'],
    ]);
  });
});

describe("an agent's pick, end and close", () => {
  it('chain the capacity: reserved by the pick command, blocked for wrap-up by the end event, released by the close event', async () => {
    await f.queue('desk');
    await f.agent('ann', 2, ['desk']);
    await f.open('d1', 'desk', { channel: 'sms' });
    const send = async (action: string, body: unknown, requestId: string, commandId: string) => {
      t.clock.advance(SECOND);
      const answer = expectStatus(
        await t.post(`/api/conversations/d1/${action}`, body, { 'X-Request-Id': requestId, 'Idempotency-Key': commandId }),
        200,
        `${action} d1`,
      );
      expect(answer.headers['x-request-id']).toBe(requestId);
    };
    await send('pick', { agentId: 'ann' }, 'req-pick', 'pick-1');
    expect(await f.usage('ann')).toEqual({ used: 1, blocked: 0, free: 1 });
    await send('end', { by: 'agent', agentId: 'ann' }, 'req-end', 'end-1');
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 1, free: 1 });
    await send('close-session', { agentId: 'ann' }, 'req-close', 'close-1');
    expect(await f.usage('ann')).toEqual({ used: 0, blocked: 0, free: 2 });
    expect(await f.conversation('d1')).toMatchObject({ status: 'closed' });

    const history = await historyOf('d1');
    const picked = only(history, 'ConversationPicked');
    const ended = only(history, 'ConversationEndedByAgent');
    const closing = history.filter((e) => e.commandId === 'close-1');
    expect(closing.length).toBeGreaterThan(0);
    const closed = closing[closing.length - 1];

    expect(picked).toMatchObject({ commandId: 'pick-1', causationId: 'pick-1', correlationId: 'req-pick' });
    expect(ended).toMatchObject({ commandId: 'end-1', causationId: 'end-1', correlationId: 'req-end' });
    for (const entry of closing) expect(entry).toMatchObject({ causationId: 'close-1', correlationId: 'req-close' });

    expect(picked.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityReserved',
        causationId: 'pick-1',
        correlationId: 'req-pick',
        at: picked.at,
      }),
    ]);
    expect(ended.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityBlockedForWrapUp',
        causationId: ended.eventId,
        correlationId: 'req-end',
        at: ended.at,
      }),
    ]);
    // The release names the last event the close command wrote.
    expect(closed.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityReleased',
        causationId: closed.eventId,
        correlationId: 'req-close',
        at: closed.at,
      }),
    ]);

    // On the agent's stream, in order, with the same causation.
    const stored = await capacityEventsOf('ann', 'd1');
    expect(stored.map((e) => [e.type, e.metadata.correlationId, e.metadata.causationId])).toEqual([
      ['AgentCapacityReserved', 'req-pick', 'pick-1'],
      ['AgentCapacityBlockedForWrapUp', 'req-end', ended.eventId],
      ['AgentCapacityReleased', 'req-close', closed.eventId],
    ]);
    await expectConsistentCausation('d1', history, ['ann']);
  });
});

describe('capacity reconciler repairs', () => {
  it("name the conversation's last event, in a reconciler pass", async () => {
    await f.queue('desk');
    await f.agent('ann', 2, ['desk']);
    await f.open('v1', 'desk', { channel: 'voice' });
    await f.pick('v1', 'ann');
    await f.endByAgent('v1', 'ann');
    t.clock.advance(5 * SECOND);
    // A supervisor's close does not cut the 45 s voice block short: nothing is released by it.
    await f.forceClose('v1');
    expect(await f.agentNow('ann')).toMatchObject({
      blocked: 1,
      claims: [expect.objectContaining({ conversationId: 'v1', holding: 'wrap_up' })],
    });

    t.clock.set(at(45 * SECOND));
    await f.viewsCaughtUp();
    expect(await t.app.get(CapacityReconciler).runOnce()).toMatchObject({ settled: 1, failed: 0 });
    expect(await f.agentNow('ann')).toMatchObject({ used: 0, blocked: 0, claims: [] });

    const history = await historyOf('v1');
    const last = history[history.length - 1];
    expect(last.type).toBe('ConversationForceClosed');
    expect(last.capacityEffects).toEqual([
      expect.objectContaining({
        agentId: 'ann',
        type: 'AgentCapacityReleased',
        causationId: last.eventId,
        correlationId: expect.stringMatching(RECONCILER_PASS),
      }),
    ]);
    await expectConsistentCausation('v1', history, ['ann']);
  });
});
