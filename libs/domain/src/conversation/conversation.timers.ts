import { isLiveChat } from './conversation.channel';
import type { ConversationState, ConversationStatus } from './conversation.state';
import type { IsoTime } from '../shared/time';

/**
 * The timers a conversation can have running. Each one is a condition that began at a known
 * time (a fact of the state, so of the events) and ends when the state moves on; its expiry is
 * one of the decider's timer commands.
 */
export const CONVERSATION_TIMER_KINDS = [
  'auto_close',
  'push_reservation',
  'agent_disconnect',
  'customer_disconnect',
  'inactivity',
] as const;
export type ConversationTimerKind = (typeof CONVERSATION_TIMER_KINDS)[number];

/** The statuses auto-close can apply to: every one but closed. */
export type LiveStatus = Exclude<ConversationStatus, 'closed'>;
export const LIVE_STATUSES: readonly LiveStatus[] = ['open', 'active', 'waiting', 'wrap_up'];

export interface RunningTimer {
  kind: ConversationTimerKind;
  /** When its condition began: the timer is due this timer's duration later. */
  since: IsoTime;
  /** The status while it runs; auto-close durations depend on it. */
  status: LiveStatus;
}

/**
 * Every timer running in this state, read from the state alone, so a store of timers kept
 * from the events agrees with the decider: each timer listed here has its expiry command
 * accepted once due, and a condition that was cleared (reconnect, new activity, another status)
 * simply is no longer listed.
 */
export const runningTimers = (state: ConversationState): RunningTimer[] => {
  if (state.status === 'none' || state.status === 'closed') return [];
  const { status } = state;
  const timers: RunningTimer[] = [{ kind: 'auto_close', since: state.autoCloseClockSince, status }];
  if (state.status === 'active' && state.assignment === 'awaiting_acceptance') {
    timers.push({ kind: 'push_reservation', since: state.statusSince, status });
  }
  if (state.status === 'active' && !state.agentConnected && state.agentDisconnectedAt !== undefined) {
    timers.push({ kind: 'agent_disconnect', since: state.agentDisconnectedAt, status });
  }
  if (
    isLiveChat(state.channel) &&
    (state.status === 'open' || state.status === 'active') &&
    !state.customerConnected &&
    state.customerDisconnectedAt !== undefined
  ) {
    timers.push({ kind: 'customer_disconnect', since: state.customerDisconnectedAt, status });
  }
  if (state.status === 'waiting') {
    timers.push({ kind: 'inactivity', since: state.lastActivityAt, status });
  }
  return timers;
};
