import { Inject, Optional } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  AgentError,
  conversationStream,
  evolve,
  initialConversationState,
  toConversationEvent,
  type ConversationCommand,
  type ConversationEvent,
  type ConversationPolicy,
  type ConversationState,
  type ConversationStatus,
} from '@lib/domain';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { AgentLedger } from '../agents/agent-ledger';
import { CAPACITY_COORDINATOR, type CapacityCoordinator, type Reservation } from '../capacity/capacity-coordinator';
import { QueueDirectory } from '../queues/queue-directory';
import { LIFECYCLE_OBSERVER, observed, UNOBSERVED, type LifecycleObserver } from '../shared/lifecycle-observer';
import { CommandLoop, type AppendOutcome, type Decided } from '../shared/command-loop';
import { COMMAND_RETRY, loopPolicy, type CommandRetryPolicy } from '../shared/command-retry';
import { conversationKind } from './conversation-kind';
import type { Causation, CausationMetadata } from '../shared/causation';
import type { CommandPrincipal } from './conversation-event-metadata';

export const CONVERSATION_POLICY = Symbol('CONVERSATION_POLICY');
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
    /** The request or pass it belongs to and what caused it; absent, both are the command id. */
    readonly causation?: Causation,
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
 * Conversation commands through the command loop, with capacity kept around it: what a command
 * needs of an agent is reserved on the agent's stream before the conversation's append, settled
 * after it, and given back when the append does not happen.
 */
@CommandHandler(HandleConversationCommand)
export class HandleConversationCommandHandler implements ICommandHandler<HandleConversationCommand, ConversationCommandResult> {
  private readonly loop: CommandLoop<ConversationCommand, ConversationEvent, ConversationState>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONVERSATION_POLICY) policy: ConversationPolicy,
    @Inject(COMMAND_RETRY) retry: CommandRetryPolicy,
    // Without these (unit tests of the lifecycle alone) queues and capacity are not checked.
    @Optional() @Inject(CAPACITY_COORDINATOR) private readonly capacity?: CapacityCoordinator,
    @Optional() @Inject(QueueDirectory) private readonly queues?: QueueDirectory,
    @Optional() @Inject(AgentLedger) private readonly agents?: AgentLedger,
    @Optional() @Inject(LIFECYCLE_OBSERVER) private readonly observer: LifecycleObserver = UNOBSERVED,
  ) {
    this.loop = new CommandLoop(store, conversationKind(policy), loopPolicy(retry, retry.cachedConversations));
  }

  execute(envelope: HandleConversationCommand): Promise<ConversationCommandResult> {
    return observed(
      this.observer,
      'conversation',
      envelope.command.type,
      () => this.handle(envelope),
      (result) => (result.applied ? 'applied' : 'repeated'),
    );
  }

  private async handle(envelope: HandleConversationCommand): Promise<ConversationCommandResult> {
    const { conversationId, command, commandId, expectedRevision, principal, causation } = envelope;
    await this.requireReferencesExist(command);
    const why: CausationMetadata = {
      correlationId: causation?.correlationId ?? commandId,
      causationId: causation?.causationId ?? (await this.causeOf(conversationId, causation?.causedByEvent)) ?? commandId,
    };
    const capacity = this.capacity
      ? this.keepCapacity(this.capacity, conversationId, commandId, command.metadata.now, why.correlationId)
      : undefined;
    const outcome = await this.loop.execute(
      conversationId,
      {
        command,
        commandId,
        expectedRevision,
        metadata: { ...(principal ? { principal: { id: principal.id, role: principal.role } } : {}), ...why },
        beforeAppend: capacity?.reserve,
        isStaleRefusal: (error) => error instanceof AgentError,
        afterAppend: capacity?.afterAppend,
      },
      capacity?.giveBackUnused,
    );
    if (outcome.repeated) {
      const { status, revision, position } = outcome.repeated;
      return { conversationId, status: status as ConversationStatus, revision, position, applied: false };
    }
    const { state, revision, position } = outcome;
    return { conversationId, status: state.status as ConversationStatus, revision, position: position as number, applied: true };
  }

  /**
   * The capacity side of one command: reserve before each append, settle the agent it moved
   * away from after a write, and give back a reservation whose write did not happen.
   */
  private keepCapacity(capacity: CapacityCoordinator, conversationId: string, commandId: string, now: string, correlationId: string) {
    // A reservation, and giving it back, are for the command itself (whatever caused the command).
    const forCommand: CausationMetadata = { correlationId, causationId: commandId };
    let reservation: Reservation | undefined;
    // When the store failed mid-append the write may still have landed: giving the capacity back
    // could leave the agent holding the conversation uncounted. The reconciler settles it instead.
    let writeOutcomeUnknown = false;
    const load = (id: string) => this.loop.read(id);
    return {
      reserve: async ({ command, before }: Decided<ConversationCommand, ConversationEvent, ConversationState>) => {
        if (before.state.status === 'none') return;
        const need = capacity.needOf(command, before.state);
        const nextRevision = before.revision + 1;
        // A reservation made on an earlier attempt for another revision or agent is given back first.
        if (
          reservation &&
          (need === undefined || reservation.agentId !== need.agentId || reservation.conversationRevision !== nextRevision)
        ) {
          const earlier = reservation;
          reservation = undefined;
          await capacity.compensate(earlier, load, now, forCommand);
        }
        if (need && !reservation) {
          reservation = await capacity.reserve(
            { agentId: need.agentId, conversationId, reservationId: commandId, conversationRevision: nextRevision },
            need,
            now,
            forCommand,
          );
        }
        writeOutcomeUnknown = true;
      },
      afterAppend: async (decided: Decided<ConversationCommand, ConversationEvent, ConversationState>, outcome: AppendOutcome) => {
        writeOutcomeUnknown = false;
        if (!outcome.written) return;
        reservation = undefined;
        // The agent's claim moves because of the conversation event just written.
        const causedBy = { correlationId, causationId: outcome.eventIds[outcome.eventIds.length - 1] };
        await capacity.settleAfter(conversationId, decided.before.state, decided.after, outcome.revision, now, causedBy);
      },
      giveBackUnused: async () => {
        if (reservation && !writeOutcomeUnknown) await capacity.compensate(reservation, load, now, forCommand);
      },
    };
  }

  /** The id of the last event of the conversation at which `test` holds, for a process manager's command. */
  private async causeOf(conversationId: string, test: Causation['causedByEvent']): Promise<string | undefined> {
    if (!test) return undefined;
    let state = initialConversationState();
    let cause: string | undefined;
    for (const recorded of await this.store.readStream(conversationStream(conversationId))) {
      const after = evolve(state, toConversationEvent(recorded));
      if (test(state, after)) cause = recorded.id;
      state = after;
    }
    return cause;
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
}
