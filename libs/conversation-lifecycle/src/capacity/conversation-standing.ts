import type { ConversationStanding, ConversationState } from '@lib/domain';

/** The agent a conversation is with: its holder while active, waiting or in wrap-up, its last one once closed. */
export const agentOf = (state: ConversationState): string | undefined => {
  switch (state.status) {
    case 'active':
    case 'waiting':
    case 'wrap_up':
      return state.agentId;
    case 'closed':
      return state.lastAgentId;
    default:
      return undefined;
  }
};

/** What the agent decider needs to know about a conversation to settle its capacity claim. */
export const standingOf = (conversationId: string, state: ConversationState, revision: number): ConversationStanding => {
  if (state.status === 'none') return { conversationId, revision, status: 'none' };
  return {
    conversationId,
    revision,
    status: state.status,
    agentId: agentOf(state),
    channel: state.channel,
    statusSince: state.statusSince,
    closedByAgent: state.status === 'closed' ? state.closedBy.kind === 'agent' : undefined,
  };
};
