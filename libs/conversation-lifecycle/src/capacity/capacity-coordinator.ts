import {
  agent,
  agentWithOf,
  type Actor,
  type Channel,
  type ConversationCommand,
  type ConversationCommandType,
  type ConversationState,
  type ExistingConversationState,
  type ReservationPurpose,
} from '@lib/domain';
import type { AgentLedger } from '../agents/agent-ledger';
import type { CausationMetadata } from '../shared/causation';
import { standingOf } from './conversation-standing';

/** Capacity a conversation command needs on an agent before its own write. */
export interface CapacityNeed {
  agentId: string;
  purpose: ReservationPurpose;
  channel: Channel;
  queueId: string;
  by: Actor;
}

type CommandOfType<T extends ConversationCommandType> = Extract<ConversationCommand, { type: T }>;
type NeedOf<T extends ConversationCommandType> = (command: CommandOfType<T>) => Omit<CapacityNeed, 'channel' | 'queueId'> | undefined;
const needsNothing = (): undefined => undefined;

/**
 * What each conversation command needs of an agent's capacity before its write; every command
 * has an entry, so a new one does not compile until it has decided.
 */
const CAPACITY_NEEDS: { [T in ConversationCommandType]: NeedOf<T> } = {
  OpenConversation: needsNothing,
  PickConversation: ({ data }) => ({ agentId: data.agentId, purpose: 'pick', by: agent(data.agentId) }),
  AssignConversation: ({ data }) => ({ agentId: data.agentId, purpose: data.force ? 'forced' : 'push', by: data.by }),
  AcceptAssignment: needsNothing,
  RejectAssignment: needsNothing,
  ExpirePushReservation: needsNothing,
  EndConversation: needsNothing,
  CloseSession: needsNothing,
  ReleaseConversation: needsNothing,
  TransferConversation: ({ data }) =>
    'toAgentId' in data ? { agentId: data.toAgentId, purpose: 'transfer', by: agent(data.agentId) } : undefined,
  ResolveRecord: needsNothing,
  ReviveConversation: ({ data }) => ({ agentId: data.agentId, purpose: 'revive', by: agent(data.agentId) }),
  DisconnectAgent: needsNothing,
  ReconnectAgent: needsNothing,
  TimeOutAgentDisconnect: needsNothing,
  DisconnectCustomer: needsNothing,
  ReconnectCustomer: needsNothing,
  TimeOutCustomerDisconnect: needsNothing,
  RecordMessage: needsNothing,
  StartConsult: needsNothing,
  EndConsult: needsNothing,
  StartMonitoring: needsNothing,
  ForceClose: needsNothing,
  AutoClose: needsNothing,
  CloseForInactivity: needsNothing,
};

/** A reservation made by request `reservationId` for the conversation write at `conversationRevision`. */
export interface Reservation {
  agentId: string;
  conversationId: string;
  reservationId: string;
  conversationRevision: number;
}

export interface CapacityLogger {
  warn(message: string): void;
}

/** Loads a conversation from its stream (the truth, not a cache). */
export type ConversationLoader = (conversationId: string) => Promise<{
  state: ConversationState;
  revision: number;
  /** Id of the stream's last event, when the loader reads it. */
  lastEventId?: string;
}>;

export const CAPACITY_COORDINATOR = Symbol('CAPACITY_COORDINATOR');

/**
 * Keeps agents' capacity in step with their conversations across two streams that cannot be
 * written in one transaction: reserve on the agent first (where capacity is checked), then
 * write the conversation; compensate from what the conversation's stream says if that write
 * does not happen; after a write that moves a conversation away from an agent, settle that
 * agent's claim. Whatever a crash leaves half done, the reconciler settles later.
 */
export class CapacityCoordinator {
  constructor(
    private readonly ledger: AgentLedger,
    private readonly logger: CapacityLogger = { warn: () => undefined },
  ) {}

  needOf(command: ConversationCommand, state: ExistingConversationState): CapacityNeed | undefined {
    const need = (CAPACITY_NEEDS[command.type] as NeedOf<typeof command.type>)(command);
    return need && { ...need, channel: state.channel, queueId: state.queueId };
  }

  /**
   * Throws the agent's refusal (AgentError) when the agent cannot take it. Answers undefined when
   * the agent already has a claim on the conversation from a later write (the request decided on
   * a stale conversation): there is no reservation of this request's to give back, and that claim
   * is not this request's to settle.
   */
  async reserve(reservation: Reservation, need: CapacityNeed, now: string, why?: CausationMetadata): Promise<Reservation | undefined> {
    const { conversationId, reservationId, conversationRevision } = reservation;
    const { purpose, channel, queueId, by } = need;
    const { state } = await this.ledger.execute(
      reservation.agentId,
      {
        type: 'ReserveCapacity',
        data: { conversationId, reservationId, channel, queueId, purpose, conversationRevision, by },
        metadata: { now },
      },
      why,
    );
    const claim = state.status === 'registered' ? state.claims[conversationId] : undefined;
    const ours =
      claim?.holding === 'assigned' && claim.reservationId === reservationId && claim.conversationRevision === conversationRevision;
    return ours ? reservation : undefined;
  }

  /**
   * The write a reservation was made for did not happen here. Another writer may have made the
   * same assignment (a repeated command, a second router), so the conversation's stream decides:
   * not there yet, the reservation is cancelled; there, the claim is settled against it.
   */
  async compensate(reservation: Reservation, load: ConversationLoader, now: string, why?: CausationMetadata): Promise<void> {
    const { agentId, conversationId, reservationId, conversationRevision } = reservation;
    try {
      const { state, revision } = await load(conversationId);
      await this.ledger.execute(
        agentId,
        revision < conversationRevision
          ? { type: 'CancelReservation', data: { conversationId, reservationId, conversationRevision }, metadata: { now } }
          : { type: 'SettleCapacity', data: { conversation: standingOf(conversationId, state, revision) }, metadata: { now } },
        why,
      );
    } catch (error) {
      this.logger.warn(
        `Could not give back agent ${agentId}'s reservation for conversation ${conversationId}; the reconciler will: ${describe(error)}`,
      );
    }
  }

  /** After a conversation write: the agent it moved away from (or who ended it) settles its claim. */
  async settleAfter(
    conversationId: string,
    before: ConversationState,
    after: ConversationState,
    revision: number,
    now: string,
    why?: CausationMetadata,
  ): Promise<void> {
    const agentId = agentWithOf(before);
    if (agentId === undefined) return;
    if (before.status === after.status && agentWithOf(after) === agentId) return;
    try {
      await this.ledger.execute(
        agentId,
        {
          type: 'SettleCapacity',
          data: { conversation: standingOf(conversationId, after, revision) },
          metadata: { now },
        },
        why,
      );
    } catch (error) {
      this.logger.warn(
        `Could not settle agent ${agentId}'s capacity after conversation ${conversationId} moved on; the reconciler will: ${describe(error)}`,
      );
    }
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
