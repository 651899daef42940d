/**
 * Test-only building blocks for the capacity specs: one "process" (ledger, coordinator, queue
 * directory, conversation handler, reconciler) over a given store, store wrappers that crash or
 * jitter, command builders, and readers of every agent's claims straight from the streams.
 *
 * Nothing in production imports this file.
 */
import {
  CONVERSATION_STREAM_PREFIX,
  DEFAULT_CONVERSATION_POLICY,
  agent as agentActor,
  evolveAgent,
  initialAgentState,
  supervisor,
  system,
  type AgentState,
  type CapacityPolicy,
  type Channel,
  type ConversationCommand,
  type Presence,
  type QueueMode,
  type RegisteredAgent,
  agentStream,
  toAgentEvent,
} from '@lib/domain';
import {
  EventStoreUnavailableError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '@lib/event-store';
import { DelegatingEventStore } from '@lib/event-store';
import { AgentLedger } from '../../agents/agent-ledger';
import { conversationLoader } from '../../conversations/conversation-loader';
import {
  HandleConversationCommand,
  HandleConversationCommandHandler,
  type ConversationCommandResult,
} from '../../conversations/handle-conversation-command';
import type { CommandRetryPolicy } from '../../shared/command-retry';
import { QueueDirectory } from '../../queues/queue-directory';
import type { ManualClock } from '../../shared/clock';
import { CapacityCoordinator } from '../capacity-coordinator';
import { CapacityReconciler } from '../capacity-reconciler';

// ---------------------------------------------------------------------------------------------
// Store wrappers (each a DelegatingEventStore: it overrides only the calls it changes)
// ---------------------------------------------------------------------------------------------

/** What the "dead process" throws: not a store error the handler knows how to retry. */
export class ProcessCrashedError extends Error {
  constructor(readonly during: string) {
    super(`process crashed during ${during}`);
    this.name = 'ProcessCrashedError';
  }
}

/**
 * A store seen through a process that can die. Once armed, the first append to a stream the
 * predicate selects throws without writing, and from then on every call throws: the process is
 * gone, so nothing it would still do (compensation, settlement, reads) reaches the store.
 */
export class CrashableStore extends DelegatingEventStore {
  private trigger?: (stream: string) => boolean;
  private crashedDuring?: string;

  /** Crash on the next append to a stream whose name starts with `prefix` (after letting `skip` of them through). */
  crashOnNextAppendTo(prefix: string, skip = 0): void {
    let toLetThrough = skip;
    this.trigger = (stream) => stream.startsWith(prefix) && toLetThrough-- <= 0;
  }

  get crashed(): boolean {
    return this.crashedDuring !== undefined;
  }

  override async appendToStream(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertAlive('appendToStream');
    if (this.trigger?.(stream)) {
      this.crashedDuring = `append to ${stream}`;
      throw new ProcessCrashedError(this.crashedDuring);
    }
    return this.inner.appendToStream(stream, events, options);
  }

  override async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertAlive('readStream');
    return this.inner.readStream(stream, options);
  }

  override async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertAlive('readAll');
    return this.inner.readAll(options);
  }

  override subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertAlive('subscribeToAll');
    return this.inner.subscribeToAll(options);
  }

  override async headPosition(): Promise<number> {
    this.assertAlive('headPosition');
    return this.inner.headPosition();
  }

  /** A dead process closes nothing: the inner store stays open for the survivors. */
  override async close(): Promise<void> {
    this.assertAlive('close');
  }

  private assertAlive(call: string): void {
    if (this.crashedDuring !== undefined) throw new ProcessCrashedError(`${call} after the crash (${this.crashedDuring})`);
  }
}

/**
 * The same store, but the next append to a conversation stream can be held back (the process is
 * slow: its write is in flight) until the test lets it go, or can fail once with a transient
 * store error (the process lives on): before writing, or after the write was committed (the
 * answer was lost: the caller cannot tell the two apart).
 */
export class ControllableStore extends DelegatingEventStore {
  private held?: { arrived: () => void; released: Promise<void> };
  private failNext?: 'before-write' | 'after-write';

  /** Holds the next conversation append; resolves `arrived` when it gets there, `release()` lets it through. */
  holdNextConversationAppend(): { arrived: Promise<void>; release: () => void } {
    let release!: () => void;
    let arrivedSignal!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (arrivedSignal = resolve));
    this.held = { arrived: arrivedSignal, released };
    return { arrived, release };
  }

  /** The next conversation append fails with EventStoreUnavailableError, without writing (or, `after-write`, once written). */
  failNextConversationAppend(when: 'before-write' | 'after-write' = 'before-write'): void {
    this.failNext = when;
  }

  override async appendToStream(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (stream.startsWith(CONVERSATION_STREAM_PREFIX)) {
      const held = this.held;
      if (held) {
        this.held = undefined;
        held.arrived();
        await held.released;
      }
      const failing = this.failNext;
      this.failNext = undefined;
      if (failing === 'before-write') throw new EventStoreUnavailableError('The event store could not commit the append (injected)');
      if (failing === 'after-write') {
        await this.inner.appendToStream(stream, events, options);
        throw new EventStoreUnavailableError('The connection was lost before the append was acknowledged (injected)');
      }
    }
    return this.inner.appendToStream(stream, events, options);
  }
}

/** A small seeded generator (mulberry32), so a fast-check counterexample replays the same jitter. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * The same store, but every read and append first yields a random number of times (microtasks,
 * sometimes a macrotask), so commands run with Promise.all interleave at different points.
 */
export class JitteryStore extends DelegatingEventStore {
  constructor(
    inner: EventStore,
    private readonly random: () => number,
  ) {
    super(inner);
  }

  private async jitter(): Promise<void> {
    const r = this.random();
    if (r < 0.1) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    const ticks = Math.floor(r * 6);
    for (let i = 0; i < ticks; i++) await Promise.resolve();
  }

  override async appendToStream(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    await this.jitter();
    return this.inner.appendToStream(stream, events, options);
  }

  override async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    await this.jitter();
    return this.inner.readStream(stream, options);
  }
}

// ---------------------------------------------------------------------------------------------
// A process
// ---------------------------------------------------------------------------------------------

export const FAST_RETRY: CommandRetryPolicy = { maxAttempts: 10, baseDelayMs: 1, cachedConversations: 1_000 };
export const ORPHAN_AFTER_MS = 30_000;

export interface CapacityProcess {
  store: EventStore;
  ledger: AgentLedger;
  coordinator: CapacityCoordinator;
  queues: QueueDirectory;
  handler: HandleConversationCommandHandler;
  reconciler: CapacityReconciler;
  /** What the coordinator and the reconciler logged (compensation or settlement that failed). */
  warnings: string[];
  run(conversationId: string, command: ConversationCommand, commandId?: string): Promise<ConversationCommandResult>;
}

let commandCounter = 0;

/** Everything one service instance builds over `store` (each with its own caches). */
export const startProcess = (
  store: EventStore,
  options: { policy: CapacityPolicy; clock: ManualClock; agentIds: () => string[]; orphanAfterMs?: number },
): CapacityProcess => {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => void warnings.push(message) };
  const ledger = new AgentLedger(store, options.policy);
  const coordinator = new CapacityCoordinator(ledger, logger);
  const queues = new QueueDirectory(store);
  const handler = new HandleConversationCommandHandler(store, DEFAULT_CONVERSATION_POLICY, FAST_RETRY, coordinator, queues);
  const reconciler = new CapacityReconciler(
    ledger,
    async () => options.agentIds(),
    conversationLoader(store),
    options.clock,
    { intervalMs: 60_000, orphanAfterMs: options.orphanAfterMs ?? ORPHAN_AFTER_MS },
    logger,
  );
  return {
    store,
    ledger,
    coordinator,
    queues,
    handler,
    reconciler,
    warnings,
    run: (conversationId, command, commandId = `cmd-${++commandCounter}`) =>
      handler.execute(new HandleConversationCommand(conversationId, command, commandId)),
  };
};

export const defineQueue = (process: CapacityProcess, queueId: string, mode: QueueMode, now: string) =>
  process.queues.define(queueId, { name: queueId, mode, priority: 0, method: 'highest_free_capacity' }, supervisor('sup-1'), now);

export const registerAgent = (
  process: CapacityProcess,
  agentId: string,
  capacity: number,
  queueIds: string[],
  now: string,
  presence: Presence = 'available',
) =>
  process.ledger.execute(agentId, {
    type: 'RegisterAgent',
    data: { agentId, capacity, queueIds, presence, by: supervisor('sup-1') },
    metadata: { now },
  });

export const changePresence = (process: CapacityProcess, agentId: string, presence: Presence, now: string) =>
  process.ledger.execute(agentId, { type: 'ChangePresence', data: { presence, by: agentActor(agentId) }, metadata: { now } });

// ---------------------------------------------------------------------------------------------
// Reading the truth from the streams
// ---------------------------------------------------------------------------------------------

/** An agent folded from its stream, with no cache in between. */
export const readAgent = async (store: EventStore, agentId: string): Promise<AgentState> =>
  (await store.readStream(agentStream(agentId))).map(toAgentEvent).reduce(evolveAgent, initialAgentState());

export const readRegisteredAgent = async (store: EventStore, agentId: string): Promise<RegisteredAgent> => {
  const state = await readAgent(store, agentId);
  if (state.status !== 'registered') throw new Error(`agent ${agentId} is not registered`);
  return state;
};

export const agentEvents = async (store: EventStore, agentId: string) =>
  (await store.readStream(agentStream(agentId))).map((event) => ({ type: event.type, ...(event.data as Record<string, unknown>) }));

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

const ROUTING = system('routing');

export const commands = {
  open: (conversationId: string, channel: Channel, queueId: string, now: string): ConversationCommand => ({
    type: 'OpenConversation',
    data: { conversationId, channel, queueId, customerId: `cust-${conversationId}`, priority: 0 },
    metadata: { now },
  }),
  pick: (agentId: string, now: string): ConversationCommand => ({ type: 'PickConversation', data: { agentId }, metadata: { now } }),
  push: (agentId: string, now: string): ConversationCommand => ({
    type: 'AssignConversation',
    data: { agentId, force: false, by: ROUTING },
    metadata: { now },
  }),
  forceAssign: (agentId: string, now: string): ConversationCommand => ({
    type: 'AssignConversation',
    data: { agentId, force: true, by: supervisor('sup-1') },
    metadata: { now },
  }),
  accept: (agentId: string, now: string): ConversationCommand => ({ type: 'AcceptAssignment', data: { agentId }, metadata: { now } }),
  reject: (agentId: string, now: string): ConversationCommand => ({ type: 'RejectAssignment', data: { agentId }, metadata: { now } }),
  expirePush: (now: string): ConversationCommand => ({ type: 'ExpirePushReservation', data: { timeoutMs: 0 }, metadata: { now } }),
  endByAgent: (agentId: string, now: string): ConversationCommand => ({
    type: 'EndConversation',
    data: { by: 'agent', agentId },
    metadata: { now },
  }),
  endByCustomer: (now: string): ConversationCommand => ({ type: 'EndConversation', data: { by: 'customer' }, metadata: { now } }),
  closeSession: (agentId: string, now: string): ConversationCommand => ({ type: 'CloseSession', data: { agentId }, metadata: { now } }),
  release: (agentId: string, now: string): ConversationCommand => ({ type: 'ReleaseConversation', data: { agentId }, metadata: { now } }),
  resolve: (agentId: string, now: string): ConversationCommand => ({ type: 'ResolveRecord', data: { agentId }, metadata: { now } }),
  revive: (agentId: string, now: string): ConversationCommand => ({ type: 'ReviveConversation', data: { agentId }, metadata: { now } }),
  transferToQueue: (agentId: string, toQueueId: string, now: string): ConversationCommand => ({
    type: 'TransferConversation',
    data: { agentId, toQueueId },
    metadata: { now },
  }),
  transferToAgent: (agentId: string, toAgentId: string, now: string): ConversationCommand => ({
    type: 'TransferConversation',
    data: { agentId, toAgentId },
    metadata: { now },
  }),
  customerMessage: (now: string): ConversationCommand => ({ type: 'RecordMessage', data: { from: 'customer' }, metadata: { now } }),
  disconnectAgent: (agentId: string, now: string): ConversationCommand => ({
    type: 'DisconnectAgent',
    data: { agentId },
    metadata: { now },
  }),
  timeOutAgentDisconnect: (now: string): ConversationCommand => ({
    type: 'TimeOutAgentDisconnect',
    data: { timeoutMs: 0 },
    metadata: { now },
  }),
  forceClose: (now: string): ConversationCommand => ({
    type: 'ForceClose',
    data: { supervisorId: 'sup-1', reason: 'supervisor_closed' },
    metadata: { now },
  }),
  autoClose: (now: string): ConversationCommand => ({ type: 'AutoClose', data: { afterMs: 0 }, metadata: { now } }),
};
