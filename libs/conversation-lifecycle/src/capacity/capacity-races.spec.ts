/**
 * Two service instances (each its own handler, coordinator and ledger) on one store, with one
 * instance's conversation write held in flight while the other acts: the races the random
 * concurrent property may or may not hit, pinned down deterministically.
 *
 * A reservation names the request that made it (the conversation command's id). These cases
 * reproduced defects of the time when it was identified only by (agent, conversation,
 * conversation revision), and now pin the fixed behaviour:
 *
 * - A second request for the same conversation and revision on the same agent was taken for a
 *   retry of the first and accepted without its own checks (a pick over capacity after a forced
 *   reservation, a push to do-not-disturb after a pick, a pick outside the agent's queues after
 *   an orphaned forced reservation). Now only the same request again is a retry; another one is
 *   refused with AGENT.ASSIGNMENT_IN_PROGRESS while the first reservation is still `assigned`.
 * - An instance whose conversation append failed with a transient store error cancelled "its"
 *   reservation, which was in fact another instance's (whose write was still in flight, and
 *   landed uncounted). Now a cancellation names its request, and the handler does not give a
 *   reservation back at all when the store left the outcome of the write unknown: the
 *   reconciler settles that claim, against the conversation's stream, after the orphan grace.
 */
import {
  CONVERSATION_STREAM_PREFIX,
  AgentError,
  ConversationError,
  DEFAULT_CAPACITY_POLICY,
  capacityUsage,
  type Presence,
} from '@lib/domain';
import { EventStoreUnavailableError, InMemoryEventStore, type EventStore } from '@lib/event-store';
import { conversationLoader } from '../conversations/conversation-loader';
import { ManualClock } from '../shared/clock';
import {
  ControllableStore,
  CrashableStore,
  ORPHAN_AFTER_MS,
  ProcessCrashedError,
  agentEvents,
  commands as C,
  defineQueue,
  readRegisteredAgent,
  registerAgent,
  startProcess,
} from './testing/capacity-fixture';

const A = 'agent-a';
const B = 'agent-b';
const QUEUE = 'support';

const twoInstances = async (presenceOfA: Presence = 'available') => {
  const clock = new ManualClock('2026-01-01T08:00:00.000Z');
  const now = () => clock.now().toISOString();
  const store = new InMemoryEventStore();
  const slow = new ControllableStore(store);
  const options = { policy: DEFAULT_CAPACITY_POLICY, clock, agentIds: () => [A, B] };
  const first = startProcess(slow, options);
  const second = startProcess(store, options);
  await defineQueue(second, QUEUE, 'push', now());
  await registerAgent(second, A, 1, [QUEUE], now(), presenceOfA);
  await registerAgent(second, B, 1, [QUEUE], now());
  for (const id of ['c-1', 'c-2']) await second.run(id, C.open(id, 'sms', QUEUE, now()));
  /** A third instance whose conversation appends can be made to fail. */
  const flakyInstance = () => {
    const flaky = new ControllableStore(store);
    return { flaky, third: startProcess(flaky, options) };
  };
  return { clock, now, store, slow, first, second, flakyInstance };
};

const stateOf = async (store: EventStore, id: string) => (await conversationLoader(store)(id)).state;
const claimsOf = async (store: EventStore, agentId: string) => (await readRegisteredAgent(store, agentId)).claims;
const agentEventCount = async (store: EventStore, agentId: string) => (await agentEvents(store, agentId)).length;

/** The loser of two requests for one agent, conversation and revision: refused, not borrowing the winner's reservation. */
const refusedAsInProgress = async (attempt: Promise<unknown>, conversationId: string) => {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentError);
  expect(error).toMatchObject({ code: 'AGENT.ASSIGNMENT_IN_PROGRESS', agentId: A, details: { conversationId } });
};

describe('capacity when two instances assign the same conversation at once', () => {
  it("picks by two agents: one holds it, the loser's reservation is given back", async () => {
    const { store, slow, first, second, now } = await twoInstances();
    const held = slow.holdNextConversationAppend();
    const byA = first.run('c-1', C.pick(A, now()));
    await held.arrived; // A's capacity is reserved, its conversation write in flight
    await expect(second.run('c-1', C.pick(B, now()))).resolves.toMatchObject({ status: 'active' });
    held.release();
    await expect(byA).rejects.toMatchObject({ code: 'CONVERSATION.TRANSITION_NOT_ALLOWED' });

    expect(await stateOf(store, 'c-1')).toMatchObject({ status: 'active', agentId: B });
    expect(await claimsOf(store, A)).toEqual({});
    expect(Object.keys(await claimsOf(store, B))).toEqual(['c-1']);
  });

  it('a pick and a push to the same agent: the second is refused while the first is in flight, which lands; capacity counted once', async () => {
    const { store, slow, first, second, now } = await twoInstances();
    const held = slow.holdNextConversationAppend();
    const picked = first.run('c-1', C.pick(A, now()), 'pick-1');
    await held.arrived;
    const eventsBefore = await agentEventCount(store, A);
    await refusedAsInProgress(second.run('c-1', C.push(A, now()), 'push-1'), 'c-1');
    expect(await agentEventCount(store, A)).toBe(eventsBefore); // the refusal wrote nothing
    held.release();
    await expect(picked).resolves.toMatchObject({ status: 'active' });

    expect(await stateOf(store, 'c-1')).toMatchObject({ status: 'active', agentId: A, assignment: 'accepted' });
    const agent = await readRegisteredAgent(store, A);
    expect(Object.keys(agent.claims)).toEqual(['c-1']);
    expect(agent.claims['c-1']).toMatchObject({ reservationId: 'pick-1', holding: 'assigned', forced: false });
    expect(capacityUsage(agent, now())).toMatchObject({ used: 1, free: 0 });
  });

  it('a pick by an agent at capacity is refused while a forced assignment of the same conversation is in flight (it does not borrow the forced reservation)', async () => {
    const { store, slow, first, second, now } = await twoInstances();
    await second.run('c-1', C.pick(A, now())); // A is at capacity (1 of 1)
    const held = slow.holdNextConversationAppend();
    const forced = first.run('c-2', C.forceAssign(A, now()), 'force-1'); // reserves c-2@1 forced, write in flight
    await held.arrived;

    await refusedAsInProgress(second.run('c-2', C.pick(A, now()), 'pick-2'), 'c-2');
    held.release();
    await expect(forced).resolves.toMatchObject({ status: 'active' });

    // A holds c-2 by force, and only the forced claim takes A over its capacity.
    expect(await stateOf(store, 'c-2')).toMatchObject({ status: 'active', agentId: A, forced: true });
    const agent = await readRegisteredAgent(store, A);
    expect(agent.claims['c-2']).toMatchObject({ reservationId: 'force-1', forced: true, holding: 'assigned' });
    expect(agent.claims['c-1']).toMatchObject({ forced: false });
    expect(capacityUsage(agent, now())).toMatchObject({ capacity: 1, used: 2, free: 0 });
  });

  it('a push to an agent in do-not-disturb is refused while a pick of the same conversation is in flight', async () => {
    const { store, slow, first, second, now } = await twoInstances('busy_dnd');
    const held = slow.holdNextConversationAppend();
    const picked = first.run('c-1', C.pick(A, now())); // allowed in busy_dnd; write in flight
    await held.arrived;
    await refusedAsInProgress(second.run('c-1', C.push(A, now())), 'c-1'); // routing must never push to busy_dnd
    held.release();
    await expect(picked).resolves.toMatchObject({ status: 'active' });

    expect(await stateOf(store, 'c-1')).toMatchObject({ status: 'active', agentId: A, assignment: 'accepted' });
    // Once the pick has landed, a push is checked as new: it is refused for the presence, not let through.
    await expect(second.run('c-2', C.push(A, now()))).rejects.toMatchObject({ code: 'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK' });
  });

  it('the request in flight losing its write to another command gives its reservation back: nothing is left of either request', async () => {
    const { store, slow, first, second, now } = await twoInstances();
    const held = slow.holdNextConversationAppend();
    const picked = first.run('c-1', C.pick(A, now()), 'pick-1');
    await held.arrived;
    await refusedAsInProgress(second.run('c-1', C.push(A, now()), 'push-1'), 'c-1');
    // Meanwhile a supervisor closes c-1: the pick's write loses, and its claim is settled away.
    await second.run('c-1', C.forceClose(now()));
    held.release();
    await expect(picked).rejects.toMatchObject({ code: 'CONVERSATION.TRANSITION_NOT_ALLOWED' });
    expect(await claimsOf(store, A)).toEqual({});
    await expect(second.run('c-2', C.push(A, now()))).resolves.toMatchObject({ status: 'active' });
  });
});

describe('capacity when an instance decides on a stale cache', () => {
  // Not a race: one command after the other. `first` cached c-1 open at revision 1 when it saw it
  // last; `second` has since assigned c-1 to A (revision 2). A command on `first` decides on its
  // cache and reserves at revision 2 with its own request id, which the agent refuses as "in
  // progress"; a refusal met on a cached state is checked again against the stream, which answers
  // that the conversation is no longer open.
  it('a push decided on a stale cache after the conversation was assigned to the same agent gets the conversation\'s refusal, not "in progress"', async () => {
    const { store, first, second, now } = await twoInstances();
    await first.run('c-1', C.customerMessage(now())); // `first` caches c-1 at revision 1 (open)
    await second.run('c-1', C.pick(A, now()), 'pick-1'); // assigned to A at revision 2, unseen by `first`
    const pushed = first.run('c-1', C.push(A, now()), 'push-1');
    await expect(pushed).rejects.toBeInstanceOf(ConversationError);
    await expect(pushed).rejects.toMatchObject({ code: 'CONVERSATION.TRANSITION_NOT_ALLOWED' });
    expect(await claimsOf(store, A)).toMatchObject({ 'c-1': { reservationId: 'pick-1' } });
  });
});

describe('capacity when a conversation append fails transiently', () => {
  it("another instance's request for the same agent is refused and leaves the reservation in flight alone", async () => {
    const { store, slow, first, second, now, flakyInstance } = await twoInstances();
    const held = slow.holdNextConversationAppend();
    const picked = first.run('c-1', C.pick(A, now()), 'pick-1'); // reserves c-1@1 on A, write in flight
    await held.arrived;

    // Another instance pushes the same conversation to A. It used to take the pick's reservation
    // for its own, fail its append (store busy) and cancel it; now it is refused before its write.
    const { flaky, third } = flakyInstance();
    flaky.failNextConversationAppend();
    await refusedAsInProgress(third.run('c-1', C.push(A, now()), 'push-1'), 'c-1');

    held.release();
    await expect(picked).resolves.toMatchObject({ status: 'active' });

    // A holds c-1: it has a claim on it, and no room for c-2.
    expect(await stateOf(store, 'c-1')).toMatchObject({ status: 'active', agentId: A });
    expect(await claimsOf(store, A)).toMatchObject({ 'c-1': { reservationId: 'pick-1', holding: 'assigned' } });
    await expect(second.run('c-2', C.pick(A, now()))).rejects.toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY' });
  });

  it('the same request retried on another instance while the first is in flight: its transient failure does not cancel the reservation', async () => {
    const { store, slow, first, second, now, flakyInstance } = await twoInstances();
    const held = slow.holdNextConversationAppend();
    const picked = first.run('c-1', C.pick(A, now()), 'pick-1');
    await held.arrived;

    // The client gives up waiting and sends the same request (same command id) elsewhere: the
    // reservation is its own (a retry), and its append fails. Cancelling "its" reservation would
    // cancel the one of the write still in flight.
    const { flaky, third } = flakyInstance();
    flaky.failNextConversationAppend();
    await expect(third.run('c-1', C.pick(A, now()), 'pick-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(await claimsOf(store, A)).toMatchObject({ 'c-1': { reservationId: 'pick-1', holding: 'assigned' } });
    expect(third.warnings).toEqual([]);

    held.release();
    await expect(picked).resolves.toMatchObject({ status: 'active' });
    expect(await stateOf(store, 'c-1')).toMatchObject({ status: 'active', agentId: A });
    expect(Object.keys(await claimsOf(store, A))).toEqual(['c-1']);
    await expect(second.run('c-2', C.pick(A, now()))).rejects.toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY' });
    // The retry, run again once the store answers, is recognised as done.
    await expect(third.run('c-1', C.pick(A, now()), 'pick-1')).resolves.toMatchObject({ status: 'active', applied: false });
  });

  it('a write that did not happen: the claim stays through the orphan grace, the reconciler releases it after, and the conversation can be taken', async () => {
    const { store, clock, now, second, flakyInstance } = await twoInstances();
    const { flaky, third } = flakyInstance();
    flaky.failNextConversationAppend('before-write');
    const reservedAt = clock.now().getTime();
    await expect(third.run('c-1', C.pick(A, now()), 'pick-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);

    // Not given back: the handler cannot tell this from a write that landed.
    expect(await stateOf(store, 'c-1')).toMatchObject({ status: 'open' });
    expect(await claimsOf(store, A)).toMatchObject({ 'c-1': { reservationId: 'pick-1', conversationRevision: 1, holding: 'assigned' } });
    expect(third.warnings).toEqual([]);
    // Meanwhile it takes A's capacity, and another request for A on c-1 waits for it.
    await expect(second.run('c-2', C.pick(A, now()))).rejects.toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY' });
    await refusedAsInProgress(second.run('c-1', C.pick(A, now()), 'pick-2'), 'c-1');

    clock.set(new Date(reservedAt + ORPHAN_AFTER_MS - 1));
    await expect(second.reconciler.runOnce()).resolves.toMatchObject({ settled: 0, failed: 0 });
    expect(await claimsOf(store, A)).toHaveProperty('c-1');

    clock.advance(1);
    await expect(second.reconciler.runOnce()).resolves.toMatchObject({ settled: 1, failed: 0 });
    expect((await agentEvents(store, A)).at(-1)).toMatchObject({
      type: 'AgentCapacityReleased',
      conversationId: 'c-1',
      reason: 'orphan_reservation_reconciled',
    });
    expect(await claimsOf(store, A)).toEqual({});

    await expect(second.run('c-1', C.pick(A, now()), 'pick-2')).resolves.toMatchObject({ status: 'active' });
    expect(await claimsOf(store, A)).toMatchObject({ 'c-1': { reservationId: 'pick-2', holding: 'assigned' } });
  });

  it('a write that did not happen: the same request retried within the grace lands on the reservation already made', async () => {
    const { store, now, flakyInstance } = await twoInstances();
    const { flaky, third } = flakyInstance();
    flaky.failNextConversationAppend('before-write');
    await expect(third.run('c-1', C.pick(A, now()), 'pick-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(third.run('c-1', C.pick(A, now()), 'pick-1')).resolves.toMatchObject({ status: 'active', applied: true });
    const reservations = (await agentEvents(store, A)).filter((event) => event.type === 'AgentCapacityReserved');
    expect(reservations).toHaveLength(1);
    expect(capacityUsage(await readRegisteredAgent(store, A), now())).toMatchObject({ used: 1, free: 0 });
  });

  it('a write that landed though the store reported a failure: the claim stays, and the reconciler keeps it after the grace', async () => {
    const { store, clock, now, second, flakyInstance } = await twoInstances();
    const { flaky, third } = flakyInstance();
    flaky.failNextConversationAppend('after-write');
    await expect(third.run('c-1', C.pick(A, now()), 'pick-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);

    expect(await stateOf(store, 'c-1')).toMatchObject({ status: 'active', agentId: A });
    expect(await claimsOf(store, A)).toMatchObject({ 'c-1': { reservationId: 'pick-1', conversationRevision: 1, holding: 'assigned' } });
    clock.advance(ORPHAN_AFTER_MS * 2);
    await expect(second.reconciler.runOnce()).resolves.toMatchObject({ settled: 0, failed: 0 });
    expect(await claimsOf(store, A)).toHaveProperty('c-1');
    await expect(second.run('c-2', C.pick(A, now()))).rejects.toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY' });
    // The retry is answered from the stream.
    await expect(third.run('c-1', C.pick(A, now()), 'pick-1')).resolves.toMatchObject({ status: 'active', applied: false });
  });
});

describe('capacity after a crash orphaned a forced reservation', () => {
  const crashedForcedAssignment = async (queueIdsOfA: string[], atCapacity = false) => {
    const clock = new ManualClock('2026-01-01T08:00:00.000Z');
    const now = () => clock.now().toISOString();
    const store = new InMemoryEventStore();
    const crashable = new CrashableStore(store);
    const options = { policy: DEFAULT_CAPACITY_POLICY, clock, agentIds: () => [A] };
    const dying = startProcess(crashable, options);
    await defineQueue(dying, QUEUE, 'pick', now());
    await registerAgent(dying, A, 1, queueIdsOfA, now());
    for (const id of ['c-1', 'c-2']) await dying.run(id, C.open(id, 'sms', QUEUE, now()));
    if (atCapacity) await dying.run('c-2', C.pick(A, now())); // A is at capacity (1 of 1)
    crashable.crashOnNextAppendTo(CONVERSATION_STREAM_PREFIX);
    await expect(dying.run('c-1', C.forceAssign(A, now()))).rejects.toBeInstanceOf(ProcessCrashedError);
    return { restarted: startProcess(store, options), clock, now, store };
  };

  /** After the grace the reconciler releases the orphan; the pick is then checked as new. */
  const afterTheGrace = async ({ restarted, clock }: { restarted: ReturnType<typeof startProcess>; clock: ManualClock }) => {
    clock.advance(ORPHAN_AFTER_MS);
    await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 1, failed: 0 });
  };

  it('the agent picking the same conversation within the grace is refused, and checked for the queue it serves after it', async () => {
    const crashed = await crashedForcedAssignment([]); // A serves no queue: a supervisor may force, A may not pick
    await refusedAsInProgress(crashed.restarted.run('c-1', C.pick(A, crashed.now())), 'c-1');
    await afterTheGrace(crashed);
    await expect(crashed.restarted.run('c-1', C.pick(A, crashed.now()))).rejects.toMatchObject({ code: 'AGENT.NOT_IN_QUEUE' });
    expect(await stateOf(crashed.store, 'c-1')).toMatchObject({ status: 'open' });
  });

  it('the agent picking the same conversation within the grace is refused, and checked for capacity after it', async () => {
    const crashed = await crashedForcedAssignment([QUEUE], true);
    await refusedAsInProgress(crashed.restarted.run('c-1', C.pick(A, crashed.now())), 'c-1');
    await afterTheGrace(crashed);
    // A is still at capacity (1 of 1) with c-2: the pick of c-1 is refused.
    await expect(crashed.restarted.run('c-1', C.pick(A, crashed.now()))).rejects.toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY' });
    expect(Object.keys(await claimsOf(crashed.store, A))).toEqual(['c-2']);
  });
});
