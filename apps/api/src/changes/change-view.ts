import {
  agentIdOfStream,
  conversationIdOfStream,
  evolve,
  initialConversationState,
  queueIdOfStream,
  toConversationEvent,
  type ConversationState,
} from '@lib/domain';
import type { EventStore, RecordedEvent } from '@lib/event-store';
import type { Principal } from '@lib/platform';
import { agentSeesConversationChange } from './change-visibility';

/**
 * What the desk is told of one event: enough to know which lists to reload, nothing of its
 * content (the desk reads that through the API, under the caller's permissions).
 */
export interface ChangeNotice {
  position: number;
  type: string;
  at?: string;
  conversationId?: string;
  agentId?: string;
  queueId?: string;
}

/** The queues an agent serves now (its stream as of the call). */
export type ServedQueues = (agentId: string) => Promise<string[]>;

/**
 * One desk connection's view of the log: turns each event into the notice its principal may
 * see, or nothing. A supervisor sees every conversation, agent and queue change. An agent sees
 * its own agent stream and the conversations it is concerned by (agentSeesConversationChange),
 * judged on each conversation's state just before and just after the event, folded here with
 * the domain's evolve; a conversation first met mid-stream is read from its start up to there.
 * Closed conversations are forgotten (nothing follows a close).
 */
export class ChangeView {
  private readonly conversations = new Map<string, { state: ConversationState; revision: number }>();
  private served: string[] | undefined;

  constructor(
    private readonly principal: Principal,
    private readonly store: EventStore,
    private readonly servedQueues: ServedQueues,
  ) {}

  private get everything(): boolean {
    return this.principal.roles.includes('supervisor');
  }

  async notice(event: RecordedEvent): Promise<ChangeNotice | undefined> {
    const at = typeof (event.data as { at?: unknown })?.at === 'string' ? (event.data as { at: string }).at : undefined;
    const conversationId = conversationIdOfStream(event.streamName);
    const agentId = agentIdOfStream(event.streamName);
    if (this.everything) {
      if (conversationId === undefined && agentId === undefined && queueIdOfStream(event.streamName) === undefined) return undefined;
      return { position: event.position, type: event.type, at, conversationId, agentId, queueId: queueIdOfStream(event.streamName) };
    }
    if (agentId !== undefined) {
      if (agentId !== this.principal.id) return undefined;
      // Joining or leaving a queue changes which conversations concern the agent: read them again.
      this.served = undefined;
      return { position: event.position, type: event.type, at, agentId };
    }
    if (conversationId === undefined) return undefined;
    const before = await this.stateBefore(conversationId, event);
    const after = evolve(before, toConversationEvent(event));
    if (after.status === 'closed') this.conversations.delete(conversationId);
    else this.conversations.set(conversationId, { state: after, revision: event.revision });
    this.served ??= await this.servedQueues(this.principal.id);
    if (!agentSeesConversationChange(this.principal.id, this.served, before, after)) return undefined;
    // Who holds it now is told only while it still concerns the agent (not who took it from its queue).
    const stillConcerned = agentSeesConversationChange(this.principal.id, this.served, after, after);
    const holder = stillConcerned && after.status !== 'none' && 'agentId' in after ? after.agentId : undefined;
    return {
      position: event.position,
      type: event.type,
      at,
      conversationId,
      queueId: after.status === 'none' ? undefined : after.queueId,
      agentId: holder,
    };
  }

  private async stateBefore(conversationId: string, event: RecordedEvent): Promise<ConversationState> {
    const known = this.conversations.get(conversationId);
    if (known !== undefined && known.revision === event.revision - 1) return known.state;
    if (event.revision === 0) return initialConversationState();
    // First met mid-stream (opened before the connection, or a gap): fold it from its start.
    const earlier = await this.store.readStream(event.streamName, { maxCount: event.revision });
    return earlier.reduce<ConversationState>((state, recorded) => evolve(state, toConversationEvent(recorded)), initialConversationState());
  }
}
