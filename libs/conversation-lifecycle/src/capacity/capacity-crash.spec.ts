/**
 * A process dies between the two writes that keep an agent's capacity in step with its
 * conversations (the agent stream and the conversation stream cannot be written in one
 * transaction), and a restarted process puts things right.
 *
 * The dying process runs on a CrashableStore: once armed, the chosen append throws without
 * writing and every later call throws too, so the handler's own compensation or settlement
 * cannot reach the store. The restarted process is a fresh ledger, handler and reconciler on
 * the underlying store (for SQLite: a second store instance on the same file).
 *
 * 1. Crash after the reservation, before the conversation write (pick, push, forced assign,
 *    transfer to an agent, revive): the agent stream holds a reservation whose write never
 *    happened (the handler does not even try to give it back: the failed append leaves the
 *    write's outcome unknown). The reconciler keeps it during the orphan grace (the write might
 *    still be in flight), releases it after (`orphan_reservation_reconciled`), and the
 *    conversation is untouched and can be taken again. Within the grace, the same request
 *    retried lands on the reservation; another request for the same agent is refused with
 *    AGENT.ASSIGNMENT_IN_PROGRESS.
 * 2. Crash after the conversation write, before the settlement of the previous holder
 *    (release, close, force close, park, requeue, transfer, end): the reconciler settles the
 *    leftover claim at once (no grace: the conversation is past the claim's revision).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONVERSATION_STREAM_PREFIX,
  DEFAULT_CAPACITY_POLICY,
  capacityUsage,
  type CapacityPolicy,
  type Channel,
  type ConversationCommand,
  type ConversationStatus,
} from '@lib/domain';
import { InMemoryEventStore, SqliteEventStore, type EventStore } from '@lib/event-store';
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
  type CapacityProcess,
} from './testing/capacity-fixture';

const A = 'agent-a';
const B = 'agent-b';
const CONVERSATION = 'c-1';
const OTHER = 'c-2';
const QUEUE = 'support';
const AGENTS = [A, B];
/** Wrap-up blocks a fixed minute, so "end" leaves something for the reconciler to turn into a block. */
const POLICY: CapacityPolicy = {
  ...DEFAULT_CAPACITY_POLICY,
  wrapUpBlock: { ...DEFAULT_CAPACITY_POLICY.wrapUpBlock, sms: { kind: 'fixed', ms: 60_000 } },
};

// ---------------------------------------------------------------------------------------------
// Stores: in memory (one object shared by both "processes") and SQLite (two instances, one file)
// ---------------------------------------------------------------------------------------------

interface StoreKind {
  name: string;
  /** The store of the process that will crash, and a way to open the store of its successor. */
  open(): { first: EventStore; restart(): EventStore; dispose(): Promise<void> };
}

const inMemory: StoreKind = {
  name: 'InMemoryEventStore',
  open: () => {
    const store = new InMemoryEventStore();
    return { first: store, restart: () => store, dispose: () => store.close() };
  },
};

const sqlite: StoreKind = {
  name: 'SqliteEventStore (two instances on one file)',
  open: () => {
    const directory = mkdtempSync(join(tmpdir(), 'capacity-crash-'));
    const filename = join(directory, 'events.db');
    const opened: SqliteEventStore[] = [];
    const open = () => {
      const store = new SqliteEventStore({ filename, pollIntervalMs: 20, checkpointIntervalMs: 0 });
      opened.push(store);
      return store;
    };
    return {
      first: open(),
      restart: open,
      dispose: async () => {
        await Promise.all(opened.map((store) => store.close()));
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The world: one queue, two agents of capacity 1, one sms conversation open
// ---------------------------------------------------------------------------------------------

interface World {
  clock: ManualClock;
  now(): string;
  crashable: CrashableStore;
  /** The process that will crash. */
  first: CapacityProcess;
  /** A fresh process on the underlying store (or on a wrapper of it), as after a restart. */
  restart(wrap?: (store: EventStore) => EventStore): CapacityProcess;
  /** The underlying store, read directly. */
  truth: EventStore;
  dispose(): Promise<void>;
}

const buildWorld = async (kind: StoreKind, channel: Channel = 'sms'): Promise<World> => {
  const clock = new ManualClock('2026-01-01T08:00:00.000Z');
  const now = () => clock.now().toISOString();
  const stores = kind.open();
  const crashable = new CrashableStore(stores.first);
  const options = { policy: POLICY, clock, agentIds: () => AGENTS };
  const first = startProcess(crashable, options);
  await defineQueue(first, QUEUE, 'pick', now());
  await registerAgent(first, A, 1, [QUEUE], now());
  await registerAgent(first, B, 1, [QUEUE], now());
  await first.run(CONVERSATION, C.open(CONVERSATION, channel, QUEUE, now()));
  await first.run(OTHER, C.open(OTHER, 'sms', QUEUE, now()));
  clock.advance(1_000);
  let successor: EventStore | undefined;
  const truth = () => (successor ??= stores.restart());
  return {
    clock,
    now,
    crashable,
    first,
    restart: (wrap = (store: EventStore) => store) => startProcess(wrap(truth()), options),
    get truth() {
      return truth();
    },
    dispose: stores.dispose,
  };
};

const conversation = async (store: EventStore, id = CONVERSATION) => conversationLoader(store)(id);
const claimsOf = async (store: EventStore, agentId: string) => (await readRegisteredAgent(store, agentId)).claims;
const usageOf = async (store: EventStore, agentId: string, now: string) => capacityUsage(await readRegisteredAgent(store, agentId), now);
const lastEvent = async (store: EventStore, agentId: string) => (await agentEvents(store, agentId)).at(-1);

// ---------------------------------------------------------------------------------------------
// 1. Crash between the reservation and the conversation write
// ---------------------------------------------------------------------------------------------

interface CrashBeforeWrite {
  name: string;
  /** Runs on the first process before it is armed. */
  given(world: World): Promise<void>;
  /** The command that reserves on `agent-a` and then dies writing the conversation. */
  command(now: string): ConversationCommand;
  /** Where the conversation must still stand after the crash and the reconciliation. */
  standsStill: { status: ConversationStatus; agentId?: string };
  /** Someone takes it on the restarted process once the orphan is gone. */
  thenTaken(process: CapacityProcess, now: string): Promise<{ holder: string }>;
  /** Claims on agent-b that are not the orphan's business and must be left alone. */
  bHolds: boolean;
}

const CRASH_BEFORE_WRITE: CrashBeforeWrite[] = [
  {
    name: 'a pick',
    given: async () => undefined,
    command: (now) => C.pick(A, now),
    standsStill: { status: 'open' },
    thenTaken: async (process, now) => {
      await process.run(CONVERSATION, C.pick(B, now));
      return { holder: B };
    },
    bHolds: false,
  },
  {
    name: 'a push (assign by routing)',
    given: async () => undefined,
    command: (now) => C.push(A, now),
    standsStill: { status: 'open' },
    thenTaken: async (process, now) => {
      await process.run(CONVERSATION, C.pick(B, now));
      return { holder: B };
    },
    bHolds: false,
  },
  {
    name: 'a forced assignment',
    given: async () => undefined,
    command: (now) => C.forceAssign(A, now),
    standsStill: { status: 'open' },
    thenTaken: async (process, now) => {
      await process.run(CONVERSATION, C.pick(B, now));
      return { holder: B };
    },
    bHolds: false,
  },
  {
    name: 'a transfer to another agent',
    given: async (world) => {
      await world.first.run(CONVERSATION, C.pick(B, world.now()));
    },
    command: (now) => C.transferToAgent(B, A, now),
    standsStill: { status: 'active', agentId: B },
    thenTaken: async (process, now) => {
      await process.run(CONVERSATION, C.transferToAgent(B, A, now));
      return { holder: A };
    },
    bHolds: true,
  },
  {
    name: 'a revive of a waiting item',
    given: async (world) => {
      await world.first.run(CONVERSATION, C.pick(A, world.now()));
      await world.first.run(CONVERSATION, C.closeSession(A, world.now()));
    },
    command: (now) => C.revive(A, now),
    standsStill: { status: 'waiting', agentId: A },
    thenTaken: async (process, now) => {
      await process.run(CONVERSATION, C.revive(A, now));
      return { holder: A };
    },
    bHolds: false,
  },
];

describe.each([inMemory, sqlite])('capacity after a crash, over $name', (kind) => {
  let world: World;

  beforeEach(async () => {
    world = await buildWorld(kind);
  });

  afterEach(async () => {
    await world.dispose();
  });

  /** The request (command id) that dies between the writes. */
  const CRASHED_REQUEST = 'crashed-request';

  /** Arms the crash on the conversation write and runs the command: it dies after reserving. */
  const crashBetweenTheWrites = async (scenario: CrashBeforeWrite) => {
    await scenario.given(world);
    world.clock.advance(1_000);
    const before = await conversation(world.crashable.inner);
    world.crashable.crashOnNextAppendTo(CONVERSATION_STREAM_PREFIX);
    const reservedAt = world.now();
    await expect(world.first.run(CONVERSATION, scenario.command(reservedAt), CRASHED_REQUEST)).rejects.toBeInstanceOf(ProcessCrashedError);
    return { before, reservedAt: Date.parse(reservedAt) };
  };

  describe.each(
    CRASH_BEFORE_WRITE.filter(
      (scenario) => kind === inMemory || scenario.name === 'a pick' || scenario.name === 'a transfer to another agent',
    ),
  )('crash after reserving for $name, before the conversation write', (scenario) => {
    it('leaves a reservation on the agent for a conversation write that never happened, which the handler does not try to give back', async () => {
      const { before } = await crashBetweenTheWrites(scenario);

      const after = await conversation(world.truth);
      expect(after.revision).toBe(before.revision);
      expect(after.state.status).toBe(scenario.standsStill.status);
      expect(await claimsOf(world.truth, A)).toMatchObject({
        [CONVERSATION]: { holding: 'assigned', conversationRevision: before.revision + 1, reservationId: CRASHED_REQUEST },
      });
      expect(await lastEvent(world.truth, A)).toMatchObject({
        type: 'AgentCapacityReserved',
        conversationId: CONVERSATION,
        reservationId: CRASHED_REQUEST,
      });
      // The append failed without saying whether it was written: no compensation was attempted
      // (the process was dead anyway); the reconciler is what settles it.
      expect(world.first.warnings).toEqual([]);
    });

    it('the restarted reconciler keeps the reservation during the orphan grace and releases it after', async () => {
      const { before, reservedAt } = await crashBetweenTheWrites(scenario);
      const restarted = world.restart();
      const bClaimsBefore = await claimsOf(world.truth, B);

      // One millisecond before the grace ends: the write might still be in flight.
      world.clock.set(new Date(reservedAt + ORPHAN_AFTER_MS - 1));
      await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 0, failed: 0 });
      expect(await claimsOf(world.truth, A)).toHaveProperty(CONVERSATION);
      expect(await usageOf(world.truth, A, world.now())).toMatchObject({ used: 1, free: 0 });

      // The grace is over: an orphan of a crash.
      world.clock.advance(1);
      await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 1, failed: 0 });
      expect(await lastEvent(world.truth, A)).toMatchObject({
        type: 'AgentCapacityReleased',
        conversationId: CONVERSATION,
        reason: 'orphan_reservation_reconciled',
      });
      expect(await claimsOf(world.truth, A)).not.toHaveProperty(CONVERSATION);
      expect(await usageOf(world.truth, A, world.now())).toMatchObject({ used: 0, blocked: 0, free: 1 });
      // The holder's own claim (if any) is not the orphan and stays.
      expect(await claimsOf(world.truth, B)).toEqual(bClaimsBefore);
      expect(Object.keys(bClaimsBefore)).toHaveLength(scenario.bHolds ? 1 : 0);

      // The conversation was never touched and is as it was.
      const after = await conversation(world.truth);
      expect(after.revision).toBe(before.revision);
      expect(after.state).toMatchObject(scenario.standsStill);

      // A second pass has nothing left to do.
      await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 0 });

      // And it can be taken again, with capacity counted once.
      const { holder } = await scenario.thenTaken(restarted, world.now());
      expect((await conversation(world.truth)).state).toMatchObject({ status: 'active', agentId: holder });
      expect(Object.keys(await claimsOf(world.truth, holder))).toEqual([CONVERSATION]);
      const notHolder = holder === A ? B : A;
      expect(await claimsOf(world.truth, notHolder)).toEqual({});
    });
  });

  it("until the orphan is reconciled it takes the agent's capacity: the agent cannot pick other work", async () => {
    await crashBetweenTheWrites(CRASH_BEFORE_WRITE[0]);
    const restarted = world.restart();
    await expect(restarted.run(OTHER, C.pick(A, world.now()))).rejects.toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY' });
    world.clock.advance(ORPHAN_AFTER_MS);
    await restarted.reconciler.runOnce();
    await expect(restarted.run(OTHER, C.pick(A, world.now()))).resolves.toMatchObject({ status: 'active' });
  });

  it('a retry of the same pick (same request) on the restarted process, within the grace, lands on the reservation already made', async () => {
    const { before } = await crashBetweenTheWrites(CRASH_BEFORE_WRITE[0]);
    const restarted = world.restart();
    await expect(restarted.run(CONVERSATION, C.pick(A, world.now()), CRASHED_REQUEST)).resolves.toMatchObject({
      status: 'active',
      revision: before.revision + 1,
    });
    const reservations = (await agentEvents(world.truth, A)).filter((event) => event.type === 'AgentCapacityReserved');
    expect(reservations).toHaveLength(1);
    expect(await usageOf(world.truth, A, world.now())).toMatchObject({ used: 1 });

    // After the grace the reservation is no orphan: its write came.
    world.clock.advance(ORPHAN_AFTER_MS * 2);
    await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 0, failed: 0 });
    expect(await claimsOf(world.truth, A)).toHaveProperty(CONVERSATION);
  });

  it('a retry of the same pick after the grace renews its reservation: a reconciler pass while its write is on its way leaves it, and the agent holds the conversation counted', async () => {
    const { before, reservedAt } = await crashBetweenTheWrites(CRASH_BEFORE_WRITE[0]);
    let held!: ControllableStore;
    const restarted = world.restart((store) => (held = new ControllableStore(store)));
    world.clock.set(new Date(reservedAt + ORPHAN_AFTER_MS + 1_000));

    // The retry renews its reservation, then its conversation write is held on its way.
    const hold = held.holdNextConversationAppend();
    const retry = restarted.run(CONVERSATION, C.pick(A, world.now()), CRASHED_REQUEST);
    await hold.arrived;
    expect(await lastEvent(world.truth, A)).toMatchObject({
      type: 'AgentCapacityReserved',
      reservationId: CRASHED_REQUEST,
      reason: 'pick_reservation_renewed',
    });

    // A reconciler pass lands in between: the renewed reservation is no orphan.
    await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 0, failed: 0 });
    expect(await claimsOf(world.truth, A)).toMatchObject({ [CONVERSATION]: { reservationId: CRASHED_REQUEST, holding: 'assigned' } });

    hold.release();
    await expect(retry).resolves.toMatchObject({ status: 'active', revision: before.revision + 1 });
    expect((await conversation(world.truth)).state).toMatchObject({ status: 'active', agentId: A });
    expect(await usageOf(world.truth, A, world.now())).toMatchObject({ used: 1, free: 0 });
    world.clock.advance(ORPHAN_AFTER_MS * 2);
    await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 0, failed: 0 });
    expect(await claimsOf(world.truth, A)).toHaveProperty(CONVERSATION);
  });

  it('another pick (a new request) by the same agent within the grace is refused as in progress; after the grace it is checked as new', async () => {
    const { before } = await crashBetweenTheWrites(CRASH_BEFORE_WRITE[0]);
    const restarted = world.restart();
    await expect(restarted.run(CONVERSATION, C.pick(A, world.now()), 'another-request')).rejects.toMatchObject({
      code: 'AGENT.ASSIGNMENT_IN_PROGRESS',
      agentId: A,
      details: { conversationId: CONVERSATION },
    });
    expect(await claimsOf(world.truth, A)).toMatchObject({ [CONVERSATION]: { reservationId: CRASHED_REQUEST } });

    world.clock.advance(ORPHAN_AFTER_MS);
    await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 1, failed: 0 });
    await expect(restarted.run(CONVERSATION, C.pick(A, world.now()), 'another-request')).resolves.toMatchObject({
      status: 'active',
      revision: before.revision + 1,
    });
    expect(await claimsOf(world.truth, A)).toMatchObject({ [CONVERSATION]: { reservationId: 'another-request', holding: 'assigned' } });
    expect(await usageOf(world.truth, A, world.now())).toMatchObject({ used: 1, free: 0 });
  });

  it('another agent picking it within the grace makes the orphan a leftover the reconciler releases at once', async () => {
    await crashBetweenTheWrites(CRASH_BEFORE_WRITE[0]);
    const restarted = world.restart();
    await restarted.run(CONVERSATION, C.pick(B, world.now()));
    // Still inside the grace, but the conversation is past the reservation's revision, with B.
    await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 1 });
    expect(await lastEvent(world.truth, A)).toMatchObject({
      type: 'AgentCapacityReleased',
      conversationId: CONVERSATION,
      reason: 'conversation_moved_to_another_agent',
    });
    expect(await claimsOf(world.truth, A)).toEqual({});
    expect(Object.keys(await claimsOf(world.truth, B))).toEqual([CONVERSATION]);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Crash after the conversation write, before the settlement of the previous holder
// ---------------------------------------------------------------------------------------------

interface CrashBeforeSettlement {
  name: string;
  channel: Channel;
  given(world: World): Promise<void>;
  command(now: string): ConversationCommand;
  /** Agent-stream appends the command makes before the settlement (a transfer reserves first). */
  appendsBeforeSettlement: number;
  status: ConversationStatus;
  /** What the reconciler writes for agent-a's leftover claim. */
  settles: { type: string; reason: string };
}

const pickedByA = async (world: World) => {
  await world.first.run(CONVERSATION, C.pick(A, world.now()));
};

const CRASH_BEFORE_SETTLEMENT: CrashBeforeSettlement[] = [
  {
    name: 'a release to the queue',
    channel: 'sms',
    given: pickedByA,
    command: (now) => C.release(A, now),
    appendsBeforeSettlement: 0,
    status: 'open',
    settles: { type: 'AgentCapacityReleased', reason: 'conversation_returned_to_queue' },
  },
  {
    name: 'a transfer to another queue',
    channel: 'sms',
    given: async (world) => {
      await defineQueue(world.first, 'sales', 'pick', world.now());
      await pickedByA(world);
    },
    command: (now) => C.transferToQueue(A, 'sales', now),
    appendsBeforeSettlement: 0,
    status: 'open',
    settles: { type: 'AgentCapacityReleased', reason: 'conversation_returned_to_queue' },
  },
  {
    name: 'the agent closing the session after wrap-up',
    channel: 'sms',
    given: async (world) => {
      await pickedByA(world);
      await world.first.run(CONVERSATION, C.endByAgent(A, world.now()));
    },
    command: (now) => C.closeSession(A, now),
    appendsBeforeSettlement: 0,
    status: 'closed',
    settles: { type: 'AgentCapacityReleased', reason: 'conversation_closed' },
  },
  {
    name: 'a supervisor force-closing an active conversation',
    channel: 'sms',
    given: pickedByA,
    command: (now) => C.forceClose(now),
    appendsBeforeSettlement: 0,
    status: 'closed',
    settles: { type: 'AgentCapacityReleased', reason: 'conversation_closed' },
  },
  {
    name: 'closing the session of an async conversation (parked)',
    channel: 'sms',
    given: pickedByA,
    command: (now) => C.closeSession(A, now),
    appendsBeforeSettlement: 0,
    status: 'waiting',
    settles: { type: 'AgentCapacityReleased', reason: 'conversation_waiting' },
  },
  {
    name: 'closing the session of a live chat (requeued)',
    channel: 'live_chat',
    given: pickedByA,
    command: (now) => C.closeSession(A, now),
    appendsBeforeSettlement: 0,
    status: 'open',
    settles: { type: 'AgentCapacityReleased', reason: 'conversation_returned_to_queue' },
  },
  {
    name: 'a transfer to another agent (the new holder reserved, the old one not settled)',
    channel: 'sms',
    given: pickedByA,
    command: (now) => C.transferToAgent(A, B, now),
    appendsBeforeSettlement: 1,
    status: 'active',
    settles: { type: 'AgentCapacityReleased', reason: 'conversation_moved_to_another_agent' },
  },
  {
    name: 'the agent ending it (wrap-up that blocks a fixed time)',
    channel: 'sms',
    given: pickedByA,
    command: (now) => C.endByAgent(A, now),
    appendsBeforeSettlement: 0,
    status: 'wrap_up',
    settles: { type: 'AgentCapacityBlockedForWrapUp', reason: 'wrap_up_blocks_for_60000ms' },
  },
];

describe.each([inMemory, sqlite])('capacity after a crash between a conversation write and its settlement, over $name', (kind) => {
  let world: World;

  afterEach(async () => {
    await world?.dispose();
  });

  it.each(
    CRASH_BEFORE_SETTLEMENT.filter(
      (scenario) => kind === inMemory || scenario.name.startsWith('a release') || scenario.name.startsWith('a transfer to another agent'),
    ),
  )('$name: the conversation write stands, the reconciler settles the leftover claim', async (scenario) => {
    world = await buildWorld(kind, scenario.channel);
    await scenario.given(world);
    world.clock.advance(1_000);
    world.crashable.crashOnNextAppendTo('agent-', scenario.appendsBeforeSettlement);

    // The conversation write happened; the settlement died with the process (the handler only logs it).
    const result = await world.first.run(CONVERSATION, scenario.command(world.now()));
    expect(result).toMatchObject({ status: scenario.status, applied: true });
    expect(world.crashable.crashed).toBe(true);
    expect(world.first.warnings.join('\n')).toMatch(/Could not settle agent agent-a's capacity/);
    const leftover = (await claimsOf(world.truth, A))[CONVERSATION];
    expect(leftover).toBeDefined();

    const restarted = world.restart();
    // No orphan grace is needed: the conversation is past the claim's revision.
    await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 1, failed: 0 });
    expect(await lastEvent(world.truth, A)).toMatchObject({ ...scenario.settles, conversationId: CONVERSATION });
    expect((await conversation(world.truth)).state.status).toBe(scenario.status);

    if (scenario.settles.type === 'AgentCapacityReleased') {
      expect(await claimsOf(world.truth, A)).toEqual({});
      expect(await usageOf(world.truth, A, world.now())).toMatchObject({ used: 0, blocked: 0, free: 1 });
    } else {
      // The wrap-up block runs from the start of wrap-up, not from the reconciliation.
      expect(await claimsOf(world.truth, A)).toMatchObject({ [CONVERSATION]: { holding: 'wrap_up' } });
      world.clock.advance(60_000);
      await expect(restarted.reconciler.runOnce()).resolves.toMatchObject({ settled: 1 });
      expect(await lastEvent(world.truth, A)).toMatchObject({ type: 'AgentCapacityReleased', reason: 'wrap_up_block_elapsed' });
    }
    // Only the conversation's holder (if any) keeps a claim on it.
    const after = (await conversation(world.truth)).state;
    const holder = after.status === 'active' ? after.agentId : undefined;
    expect(Object.keys(await claimsOf(world.truth, B))).toEqual(holder === B ? [CONVERSATION] : []);

    // Agent-a can take work again.
    await expect(restarted.run(OTHER, C.pick(A, world.now()))).resolves.toMatchObject({ status: 'active' });
  });
});
