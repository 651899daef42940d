import type { ConversationState } from '@lib/domain';

/**
 * Whether an agent may see a change of a conversation, from its state before and after: the
 * agent holds or held it, consults on it, or it is (or was, until this change) open in a queue
 * the agent serves. The same conversations an agent may read (the `involved` relation), so the
 * desk learns of every change to what it shows, and of nothing else.
 */
export function agentSeesConversationChange(
  agentId: string,
  servedQueueIds: readonly string[],
  before: ConversationState,
  after: ConversationState,
): boolean {
  const concerns = (state: ConversationState): boolean => {
    if (state.status === 'none') return false;
    if (state.lastAgentId === agentId) return true;
    if ('agentId' in state && state.agentId === agentId) return true;
    if (state.status === 'active' && state.consultants.includes(agentId)) return true;
    return state.status === 'open' && servedQueueIds.includes(state.queueId);
  };
  return concerns(before) || concerns(after);
}
