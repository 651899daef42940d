import { Inject, Optional } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  AgentError,
  ConversationError,
  decide,
  evolve,
  initialConversationState,
  type ConversationCommand,
  type ConversationEvent,
  type ConversationPolicy,
  type ConversationState,
  type ConversationStatus,
} from '@lib/domain';
import {
  EVENT_STORE,
  IdempotencyMismatchError,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
} from '@lib/event-store';
import { AgentLedger } from '../agents/agent-ledger';
import { CAPACITY_COORDINATOR, type CapacityCoordinator, type Reservation } from '../capacity/capacity-coordinator';
import { QueueDirectory } from '../queues/queue-directory';
import { deterministicUuid, fingerprint } from '../shared/deterministic-id';
import { KeyedSerializer } from '../shared/keyed-serializer';
import { ConversationCache, type CachedConversation } from './conversation-cache';
import {
  ConcurrencyExhaustedError,
  IdempotencyKeyReusedError,
  RevisionMismatchError,
} from './conversation-command.errors';
import { conversationStream, toConversationEvent, type CommandPrincipal, type ConversationEventMetadata } from './conversation-stream';

export const CONVERSATION_POLICY = Symbol('CONVERSATION_POLICY');
export const COMMAND_RETRY = Symbol('COMMAND_RETRY');

export interface CommandRetryPolicy {
  maxAttempts: number;
  /** Upper bound of the random pause before attempt n is n * this. */
  baseDelayMs: number;
  /** How many conversations' state this process keeps between commands. */
  cachedConversations: number;
}

export const DEFAULT_COMMAND_RETRY: CommandRetryPolicy = { maxAttempts: 10, baseDelayMs: 5, cachedConversations: 10_000 };

/**
 * The one envelope for every conversation command: which conversation, what to do, and how
 * to make it safe to repeat (commandId) or to pin (expectedRevision, from If-Match).
 */
export class HandleConversationCommand {
  constructor(
    readonly conversationId: string,
    readonly command: ConversationCommand,
    readonly commandId: string,
    readonly expectedRevision?: number,
    /** Who asked, as authenticated (recorded in every event's metadata); absent for the service's own commands. */
    readonly principal?: CommandPrincipal,
  ) {}
}

export interface ConversationCommandResult {
  conversationId: string;
  status: ConversationStatus;
  /** Revision of the stream's last event: the ETag, and the If-Match for the next command. */
  revision: number;
  /** Global position of the last event written (or of the original write on a retry). */
  position: number;
  /** False when the answer repeats an earlier identical command (same Idempotency-Key). */
  applied: boolean;
}

/**
 * Load, decide, append with the expected revision. Commands to one conversation run one at a
 * time in this process; races with other processes are settled by the store's revision check
 * and a bounded retry (unless the caller pinned the revision).
 */
@CommandHandler(HandleConversationCommand)
export class HandleConversationCommandHandler implements ICommandHandler<HandleConversationCommand, ConversationCommandResult> {
  private readonly perConversation = new KeyedSerializer();
  private readonly cache: ConversationCache;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONVERSATION_POLICY) private readonly policy: ConversationPolicy,
    @Inject(COMMAND_RETRY) private readonly retry: CommandRetryPolicy,
    // Without these (unit tests of the lifecycle alone) queues and capacity are not checked.
    @Optional() @Inject(CAPACITY_COORDINATOR) private readonly capacity?: CapacityCoordinator,
    @Optional() @Inject(QueueDirectory) private readonly queues?: QueueDirectory,
    @Optional() @Inject(AgentLedger) private readonly agents?: AgentLedger,
  ) {
    this.cache = new ConversationCache(retry.cachedConversations);
  }

  execute(envelope: HandleConversationCommand): Promise<ConversationCommandResult> {
    return this.perConversation.run(envelope.conversationId, () => this.handle(envelope));
  }

  private async handle(envelope: HandleConversationCommand): Promise<ConversationCommandResult> {
    await this.requireReferencesExist(envelope.command);
    // Capacity reserved on an agent for a write that has not happened (yet): given back unless it lands.
    const pending: PendingReservation = { writeOutcomeUnknown: false };
    const now = envelope.command.metadata.now;
    try {
      return await this.decideAndAppend(envelope, pending);
    } finally {
      // When the store failed mid-append the write may still have landed: giving the capacity back
      // could leave the agent holding the conversation uncounted. The reconciler settles it instead.
      if (pending.reservation && this.capacity && !pending.writeOutcomeUnknown) {
        await this.capacity.compensate(pending.reservation, (id) => this.load(id), now);
      }
    }
  }

  /**
   * Queues and agents a command names besides the conversation's holder must exist: those the
   * capacity protocol does not check (it reserves on the agents it assigns to) are checked here.
   */
  private async requireReferencesExist(command: ConversationCommand): Promise<void> {
    if (this.queues) {
      if (command.type === 'OpenConversation') await this.queues.requireExisting(command.data.queueId, 'queueId');
      if (command.type === 'TransferConversation' && 'toQueueId' in command.data) {
        await this.queues.requireExisting(command.data.toQueueId, 'toQueueId');
      }
    }
    if (this.agents && command.type === 'StartConsult') {
      const { consultantId } = command.data;
      const consultant = await this.agents.load(consultantId);
      if (consultant.state.status !== 'registered') {
        throw new AgentError(
          'AGENT.NOT_FOUND',
          `Consultant ${consultantId} is not a registered agent; register it with POST /api/agents first`,
          consultantId,
          { field: 'consultantId' },
        );
      }
    }
  }

  private async decideAndAppend(
    envelope: HandleConversationCommand,
    pending: PendingReservation,
  ): Promise<ConversationCommandResult> {
    const { conversationId, command, commandId, expectedRevision, principal } = envelope;
    const stream = conversationStream(conversationId);
    // The time of the command is not part of what it asks for: a retry an hour later is the same command.
    const commandFingerprint = fingerprint({ type: command.type, data: command.data });

    for (let attempt = 1; ; attempt++) {
      // Every path back to the top re-reads the stream, so this bound is only a safety net.
      if (attempt > this.retry.maxAttempts + 2) throw new ConcurrencyExhaustedError(conversationId, attempt - 1);
      // Opening a conversation this process has not seen assumes a new stream; the append's
      // no_stream expectation checks that, so the common case needs no read.
      const cached = this.cache.get(conversationId) ?? (attempt === 1 && command.type === 'OpenConversation' ? NEW_STREAM() : undefined);
      const conversation = cached ?? (await this.load(conversationId));

      const earlier = conversation.commands.get(commandId);
      if (earlier) {
        if (earlier.fingerprint !== commandFingerprint) throw new IdempotencyKeyReusedError(conversationId, commandId);
        const { status, revision, position } = earlier;
        return { conversationId, status, revision, position, applied: false };
      }
      // A mismatch or a refusal found on a cached state is checked once more against the stream.
      if (expectedRevision !== undefined && expectedRevision !== conversation.revision) {
        if (!cached) throw new RevisionMismatchError(conversationId, expectedRevision, conversation.revision);
        this.cache.forget(conversationId);
        continue;
      }

      let events: ConversationEvent[];
      try {
        events = decideFor(conversationId, command, conversation.state, this.policy);
      } catch (error) {
        if (!(error instanceof ConversationError) || !cached) throw error;
        this.cache.forget(conversationId);
        continue;
      }
      try {
        await this.reserveCapacity(conversationId, commandId, command, conversation, pending);
      } catch (error) {
        // The agent refused work decided on a cached conversation: the stream may say it is not
        // even open any more, which is the refusal the caller should get.
        if (!(error instanceof AgentError) || !cached) throw error;
        this.cache.forget(conversationId);
        continue;
      }
      const newState = events.reduce(evolve, conversation.state);
      const toAppend: NewEvent[] = events.map((event, index) => ({
        // The fingerprint is part of the id: a reused key with another command must not pass for a retry.
        id: deterministicUuid(stream, commandId, commandFingerprint, String(index)),
        type: event.type,
        data: event.data,
        metadata: {
          commandId,
          commandFingerprint,
          eventIndex: index,
          eventCount: events.length,
          ...(principal ? { principal: { id: principal.id, role: principal.role } } : {}),
        } satisfies ConversationEventMetadata,
      }));

      try {
        pending.writeOutcomeUnknown = true;
        const appended = await this.store.appendToStream(stream, toAppend, {
          expectedRevision: conversation.revision === -1 ? 'no_stream' : conversation.revision,
        });
        pending.writeOutcomeUnknown = false;
        if (appended.recognisedRetry || appended.nextExpectedRevision !== conversation.revision + events.length) {
          // The store recognised these event ids: this command was already applied (by another
          // process, or before this one restarted). Answer what it answered, from the stream.
          this.cache.forget(conversationId);
          continue;
        }
        const status = newState.status as ConversationStatus;
        const { nextExpectedRevision: revision, position } = appended;
        pending.reservation = undefined;
        await this.capacity?.settleAfter(conversationId, conversation.state, newState, revision, command.metadata.now);
        this.cache.set(conversationId, {
          state: newState,
          revision,
          commands: conversation.commands.set(commandId, { fingerprint: commandFingerprint, status, revision, position }),
        });
        return { conversationId, status, revision, position, applied: true };
      } catch (error) {
        if (error instanceof IdempotencyMismatchError || error instanceof WrongExpectedRevisionError) {
          pending.writeOutcomeUnknown = false;
        }
        if (error instanceof IdempotencyMismatchError && cached) {
          // Decided on a stale state, the retry of an earlier command came out different from
          // what that command wrote: the stream, not this cache, knows its answer.
          this.cache.forget(conversationId);
          continue;
        }
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        this.cache.forget(conversationId);
        if (expectedRevision !== undefined) {
          const actual = typeof error.actual === 'number' ? error.actual : -1;
          throw new RevisionMismatchError(conversationId, expectedRevision, actual);
        }
        if (attempt >= this.retry.maxAttempts) throw new ConcurrencyExhaustedError(conversationId, attempt);
        await pause(Math.random() * this.retry.baseDelayMs * attempt);
      }
    }
  }

  /**
   * Reserves what the command needs on the agent for the write at the next revision. A
   * reservation made on an earlier attempt for another revision or agent is given back first.
   */
  private async reserveCapacity(
    conversationId: string,
    commandId: string,
    command: ConversationCommand,
    conversation: CachedConversation,
    pending: PendingReservation,
  ): Promise<void> {
    if (!this.capacity || conversation.state.status === 'none') return;
    const need = this.capacity.needOf(command, conversation.state);
    const nextRevision = conversation.revision + 1;
    const held = pending.reservation;
    if (held && (need === undefined || held.agentId !== need.agentId || held.conversationRevision !== nextRevision)) {
      pending.reservation = undefined;
      await this.capacity.compensate(held, (id) => this.load(id), command.metadata.now);
    }
    if (need && !pending.reservation) {
      const reservation = { agentId: need.agentId, conversationId, reservationId: commandId, conversationRevision: nextRevision };
      pending.reservation = await this.capacity.reserve(reservation, need, command.metadata.now);
    }
  }

  /** Folds the stream, noting what each command answered (its status and last event). */
  private async load(conversationId: string): Promise<CachedConversation> {
    const recorded = await this.store.readStream(conversationStream(conversationId));
    let state: ConversationState = initialConversationState();
    const commands: CachedConversation['commands'] = new Map();
    for (const event of recorded) {
      state = evolve(state, toConversationEvent(event));
      const metadata = event.metadata as Partial<ConversationEventMetadata>;
      if (metadata.commandId !== undefined && metadata.commandFingerprint !== undefined) {
        commands.set(metadata.commandId, {
          fingerprint: metadata.commandFingerprint,
          status: state.status as ConversationStatus,
          revision: event.revision,
          position: event.position,
        });
      }
    }
    const revision = recorded.length > 0 ? recorded[recorded.length - 1].revision : -1;
    return { state, revision, commands };
  }
}

const decideFor = (
  conversationId: string,
  command: ConversationCommand,
  state: ConversationState,
  policy: ConversationPolicy,
): ConversationEvent[] => {
  try {
    return decide(command, state, policy);
  } catch (error) {
    if (error instanceof ConversationError && error.conversationId === undefined) {
      throw new ConversationError(error.code, error.message, conversationId, error.status, error.allowedActions, error.details);
    }
    throw error;
  }
};

interface PendingReservation {
  reservation?: Reservation;
  /** An append is in flight or failed in a way that does not tell whether it was written. */
  writeOutcomeUnknown: boolean;
}

const NEW_STREAM = (): CachedConversation => ({ state: initialConversationState(), revision: -1, commands: new Map() });

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
