import { agentWithOf, type ConversationStanding, type ConversationState } from '@lib/domain';

/** What the agent decider needs to know about a conversation to settle its capacity claim. */
export const standingOf = (conversationId: string, state: ConversationState, revision: number): ConversationStanding => {
  if (state.status === 'none') return { conversationId, revision, status: 'none' };
  return {
    conversationId,
    revision,
    status: state.status,
    agentId: agentWithOf(state),
    channel: state.channel,
    statusSince: state.statusSince,
    closedByAgent: state.status === 'closed' ? state.closedBy.kind === 'agent' : undefined,
  };
};
