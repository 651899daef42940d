/**
 * Test-only: writes conversation histories to an event store the way the application does,
 * deciding each command with the domain's `decide` against the folded state, so every history
 * is one the service could have written. Times are minutes after T0.
 */
import {
  conversationStream,
  ConversationError,
  agent,
  decide,
  evolveAll,
  initialConversationState,
  supervisor,
  system,
  type Actor,
  type Channel,
  type ConversationCommand,
  type ConversationState,
} from '@lib/domain';
import type { EventStore } from '@lib/event-store';
import { randomUUID } from 'node:crypto';

export const T0 = '2026-03-01T08:00:00.000Z';
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** The ISO time `minutes` after T0 (fractions allowed). */
export const at = (minutes: number): string => new Date(Date.parse(T0) + Math.round(minutes * MINUTE)).toISOString();

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type CommandBody = DistributiveOmit<ConversationCommand, 'metadata'>;

export interface OpenOptions {
  channel?: Channel;
  queueId?: string;
  customerId?: string;
  priority?: number;
}

export const ROUTING: Actor = system('routing');
export { agent, supervisor };

export class ConversationLog {
  private readonly states = new Map<string, ConversationState>();
  private readonly revisions = new Map<string, number>();
  /** Position of the last event appended through this log (0 before any). */
  lastPosition = 0;

  constructor(readonly store: EventStore) {}

  state(conversationId: string): ConversationState {
    return this.states.get(conversationId) ?? initialConversationState();
  }

  /** Decides and appends; returns the position of the last event written. Throws ConversationError when refused. */
  async run(conversationId: string, minute: number | string, body: CommandBody): Promise<number> {
    const now = typeof minute === 'number' ? at(minute) : minute;
    const state = this.state(conversationId);
    const events = decide({ ...body, metadata: { now } } as ConversationCommand, state);
    const previous = this.revisions.get(conversationId);
    const result = await this.store.appendToStream(
      conversationStream(conversationId),
      events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data })),
      { expectedRevision: previous ?? 'no_stream' },
    );
    this.states.set(conversationId, evolveAll(events, state));
    this.revisions.set(conversationId, result.nextExpectedRevision);
    this.lastPosition = result.position;
    return result.position;
  }

  /** Like run, but a refused command writes nothing and answers undefined. */
  async tryRun(conversationId: string, minute: number | string, body: CommandBody): Promise<number | undefined> {
    try {
      return await this.run(conversationId, minute, body);
    } catch (error) {
      if (error instanceof ConversationError) return undefined;
      throw error;
    }
  }

  open(conversationId: string, minute: number, options: OpenOptions = {}): Promise<number> {
    return this.run(conversationId, minute, {
      type: 'OpenConversation',
      data: {
        conversationId,
        channel: options.channel ?? 'persistent_chat',
        queueId: options.queueId ?? 'queue-a',
        customerId: options.customerId ?? `customer-of-${conversationId}`,
        priority: options.priority ?? 0,
      },
    });
  }

  pick(conversationId: string, minute: number, agentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'PickConversation', data: { agentId } });
  }

  push(conversationId: string, minute: number, agentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'AssignConversation', data: { agentId, force: false, by: ROUTING } });
  }

  accept(conversationId: string, minute: number, agentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'AcceptAssignment', data: { agentId } });
  }

  endByAgent(conversationId: string, minute: number, agentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'EndConversation', data: { by: 'agent', agentId } });
  }

  closeSession(conversationId: string, minute: number, agentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'CloseSession', data: { agentId } });
  }

  release(conversationId: string, minute: number, agentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'ReleaseConversation', data: { agentId } });
  }

  customerWrites(conversationId: string, minute: number): Promise<number> {
    return this.run(conversationId, minute, { type: 'RecordMessage', data: { from: 'customer' } });
  }

  agentWrites(conversationId: string, minute: number, agentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'RecordMessage', data: { from: 'agent', agentId } });
  }

  transferToAgent(conversationId: string, minute: number, agentId: string, toAgentId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'TransferConversation', data: { agentId, toAgentId } });
  }

  transferToQueue(conversationId: string, minute: number, agentId: string, toQueueId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'TransferConversation', data: { agentId, toQueueId } });
  }

  consult(conversationId: string, minute: number, agentId: string, consultantId: string): Promise<number> {
    return this.run(conversationId, minute, { type: 'StartConsult', data: { agentId, consultantId } });
  }

  forceClose(conversationId: string, minute: number, supervisorId = 'supervisor-1', reason = 'spam'): Promise<number> {
    return this.run(conversationId, minute, { type: 'ForceClose', data: { supervisorId, reason } });
  }

  /** An event of another stream family (agent presence): projections ignore it, checkpoints pass it. */
  async otherStreamEvent(stream = `agent-${randomUUID()}`): Promise<number> {
    const result = await this.store.appendToStream(
      stream,
      [{ id: randomUUID(), type: 'AgentPresenceChanged', data: { presence: 'available' } }],
      { expectedRevision: 'any' },
    );
    this.lastPosition = result.position;
    return result.position;
  }
}
