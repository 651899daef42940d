import type { IsoTime } from '../shared/time';
import type { Channel } from './conversation.channel';
import type { ConversationCommand } from './conversation.commands';
import type { ConversationTimerKind, LiveStatus, RunningTimer } from './conversation.timers';

/** A duration in milliseconds, or `null` for "never". */
export type TimerDuration = number | null;

/** How long a conversation of one channel may stay in each status before auto-close. */
export type AutoCloseDurations = Record<LiveStatus, TimerDuration>;

/** Every duration of the automation, in milliseconds. Configuration, not code. */
export interface TimerPolicy {
  autoClose: Record<Channel, AutoCloseDurations>;
  /** How long a pushed conversation waits for the agent's accept before going back to its queue. */
  pushReservationTimeoutMs: number;
  /** How long an active conversation waits for its disconnected agent before going back to its queue. */
  agentDisconnectTimeoutMs: number;
  /** How long a live chat waits for its disconnected customer (then open -> closed, active -> wrap-up). */
  customerDisconnectTimeoutMs: number;
  /** How long a waiting conversation may go without a message from either side before it closes. */
  waitingInactivityTimeoutMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const asyncChannel: AutoCloseDurations = { open: 30 * DAY, active: 30 * DAY, waiting: 30 * DAY, wrap_up: DAY };

/**
 * The platform's documented defaults (docs/architecture.md, "Timers"). Waiting only exists
 * on async channels, so it is `never` elsewhere; voice active "auto-closes" into wrap-up.
 */
export const DEFAULT_TIMER_POLICY: TimerPolicy = {
  autoClose: {
    live_chat: { open: 20 * MINUTE, active: null, waiting: null, wrap_up: 15 * MINUTE },
    voice: { open: 30 * DAY, active: 2 * HOUR, waiting: null, wrap_up: DAY },
    sms: asyncChannel,
    social: asyncChannel,
    teams: asyncChannel,
    persistent_chat: asyncChannel,
    record: { open: null, active: null, waiting: null, wrap_up: null },
  },
  pushReservationTimeoutMs: 120 * SECOND,
  agentDisconnectTimeoutMs: 5 * MINUTE,
  customerDisconnectTimeoutMs: 3 * MINUTE,
  waitingInactivityTimeoutMs: 7 * DAY,
};

/** The timers whose duration depends on neither the channel nor the status. */
export type FixedTimerKind = Exclude<ConversationTimerKind, 'auto_close'>;

const FIXED_TIMER_DURATION: Record<FixedTimerKind, (policy: TimerPolicy) => number> = {
  push_reservation: (policy) => policy.pushReservationTimeoutMs,
  agent_disconnect: (policy) => policy.agentDisconnectTimeoutMs,
  customer_disconnect: (policy) => policy.customerDisconnectTimeoutMs,
  inactivity: (policy) => policy.waitingInactivityTimeoutMs,
};

export const fixedTimerDurationMs = (kind: FixedTimerKind, policy: TimerPolicy): number => FIXED_TIMER_DURATION[kind](policy);

/** How long this timer runs under the policy, or null when the policy never lets it fire. */
export const timerDurationMs = (timer: RunningTimer, channel: Channel, policy: TimerPolicy): TimerDuration =>
  timer.kind === 'auto_close' ? policy.autoClose[channel][timer.status] : fixedTimerDurationMs(timer.kind, policy);

/** When the timer is due, or undefined when it never fires. */
export const timerDueAt = (timer: RunningTimer, channel: Channel, policy: TimerPolicy): IsoTime | undefined => {
  const duration = timerDurationMs(timer, channel, policy);
  return duration === null ? undefined : new Date(Date.parse(timer.since) + duration).toISOString();
};

/** The command that expires each kind of timer, given its duration; every kind has one. */
const EXPIRY_COMMAND: Record<
  ConversationTimerKind,
  (duration: number, status: LiveStatus, metadata: { now: IsoTime }) => ConversationCommand
> = {
  auto_close: (afterMs, forStatus, metadata) => ({ type: 'AutoClose', data: { afterMs, forStatus }, metadata }),
  push_reservation: (timeoutMs, _status, metadata) => ({ type: 'ExpirePushReservation', data: { timeoutMs }, metadata }),
  agent_disconnect: (timeoutMs, _status, metadata) => ({ type: 'TimeOutAgentDisconnect', data: { timeoutMs }, metadata }),
  customer_disconnect: (timeoutMs, _status, metadata) => ({ type: 'TimeOutCustomerDisconnect', data: { timeoutMs }, metadata }),
  inactivity: (timeoutMs, _status, metadata) => ({ type: 'CloseForInactivity', data: { timeoutMs }, metadata }),
};

/**
 * The command that expires this timer, as of `now`, or undefined when the policy says never.
 * The decider refuses it (TIMER_NOT_DUE) before the due time or once the condition has cleared.
 */
export const timerCommand = (timer: RunningTimer, channel: Channel, policy: TimerPolicy, now: IsoTime): ConversationCommand | undefined => {
  const duration = timerDurationMs(timer, channel, policy);
  if (duration === null) return undefined;
  return EXPIRY_COMMAND[timer.kind](duration, timer.status, { now });
};
