/** Rules the decider needs that are configuration, not code. Durations in milliseconds. */
export interface ConversationPolicy {
  /**
   * A customer message revives a waiting conversation back to its queue only within this long
   * after it was parked; later messages are recorded as unread for the owner, who can revive it.
   */
  customerReviveWindowMs: number;
}

export const DEFAULT_CONVERSATION_POLICY: ConversationPolicy = {
  customerReviveWindowMs: 24 * 60 * 60 * 1000,
};
