import {
  ASYNC_CHANNELS,
  CHANNELS,
  DEFAULT_TIMER_POLICY,
  LIVE_STATUSES,
  type AutoCloseDurations,
  type Channel,
  type LiveStatus,
  type TimerPolicy,
} from '@lib/domain';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';
import { settingsReader, type Env } from './env-settings';

/** The automation settings: which instance fires timers, and every duration of the policy. */
export interface TimerConfig {
  /** Whether this instance fires due timers (`off`: leave it to others; every instance may). */
  timers: 'on' | 'off';
  timerPolicy: TimerPolicy;
  /** How often (real time) due timers other than auto-close are looked for. */
  timerPollIntervalMs: number;
  /** How often (on the service's clock) the auto-close sweep runs. */
  autoCloseSweepIntervalMs: number;
}

type TimerKey = keyof typeof TIMER_CONFIG_DEFAULTS;

/** `AUTO_CLOSE_LIVE_CHAT` and so on: one variable per channel kind. */
const autoCloseKey = (channel: Channel) => `AUTO_CLOSE_${channel.toUpperCase()}` as TimerKey;

/** Waiting only exists on async channels, wrap-up on all but records: elsewhere they are not settings. */
const statusesOf = (channel: Channel): readonly LiveStatus[] =>
  LIVE_STATUSES.filter(
    (status) => (status !== 'waiting' || ASYNC_CHANNELS.includes(channel)) && (status !== 'wrap_up' || channel !== 'record'),
  );

const formatDuration = (ms: number | null): string => {
  if (ms === null) return 'never';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
};

const autoCloseDefault = (channel: Channel): string =>
  statusesOf(channel)
    .map((status) => `${status}=${formatDuration(DEFAULT_TIMER_POLICY.autoClose[channel][status])}`)
    .join(',');

/** Defaults, written out as the README's configuration table shows them. */
export const TIMER_CONFIG_DEFAULTS = {
  TIMERS: 'on',
  AUTO_CLOSE_LIVE_CHAT: 'open=20m,active=never,wrap_up=15m',
  AUTO_CLOSE_VOICE: 'open=30d,active=2h,wrap_up=1d',
  AUTO_CLOSE_SMS: 'open=30d,active=30d,waiting=30d,wrap_up=1d',
  AUTO_CLOSE_SOCIAL: 'open=30d,active=30d,waiting=30d,wrap_up=1d',
  AUTO_CLOSE_TEAMS: 'open=30d,active=30d,waiting=30d,wrap_up=1d',
  AUTO_CLOSE_PERSISTENT_CHAT: 'open=30d,active=30d,waiting=30d,wrap_up=1d',
  AUTO_CLOSE_RECORD: 'open=never,active=never',
  PUSH_RESERVATION_TIMEOUT: '120s',
  AGENT_DISCONNECT_TIMEOUT: '5m',
  CUSTOMER_DISCONNECT_TIMEOUT: '3m',
  WAITING_INACTIVITY_TIMEOUT: '7d',
  AUTO_CLOSE_SWEEP_INTERVAL: '5m',
  TIMER_POLL_INTERVAL: '1s',
} as const;

/** A policy duration is compared with the clock, never handed to setTimeout, so it may exceed 24 days. */
const LONGEST_POLICY_MS = 365 * 86_400_000;
/** The poll interval is handed to setTimeout (at most 2^31 - 1 ms); the sweep interval keeps the same bound. */
const LONGEST_INTERVAL_MS = 24 * 86_400_000;

const { read } = settingsReader(TIMER_CONFIG_DEFAULTS);

/** A duration between 1 ms and `max`, or `never` where allowed; `what` names the part of the value at fault. */
const parsePolicyDuration = (key: string, text: string, options: { never: boolean; max: number; what?: string }): number | null => {
  const at = options.what === undefined ? '' : ` (${options.what})`;
  if (options.never && text.trim() === 'never') return null;
  const value = parseDuration(text);
  if (value === undefined) {
    const forms = options.never ? 'a duration such as 90s, 20m, 2h or 30d, or never' : 'a duration such as 90s, 20m, 2h or 30d';
    throw new ConfigError(key, `"${text}"${at} is not ${forms}`);
  }
  if (value <= 0) throw new ConfigError(key, `"${text}"${at} must be longer than 0${options.never ? '; use never to turn it off' : ''}`);
  if (value > options.max)
    throw new ConfigError(key, `"${text}"${at} is longer than the longest supported, ${formatDuration(options.max)}`);
  return value;
};

/**
 * `open=20m,active=never,wrap_up=15m`: the statuses named replace the defaults, the others keep
 * theirs. Unknown statuses, repeated ones and waiting on a channel that never waits are refused.
 */
const readAutoClose = (env: Env, channel: Channel): AutoCloseDurations => {
  const key = autoCloseKey(channel);
  const durations: AutoCloseDurations = { ...DEFAULT_TIMER_POLICY.autoClose[channel] };
  const allowed = statusesOf(channel);
  const seen = new Set<string>();
  for (const part of read(env, key).split(',')) {
    const match = /^\s*([a-z_]+)\s*=\s*(.+?)\s*$/.exec(part);
    if (!match) throw new ConfigError(key, `"${part}" is not status=duration, as in ${autoCloseDefault(channel)}`);
    const [, status, text] = match;
    if (!allowed.includes(status as LiveStatus)) {
      throw new ConfigError(key, `"${status}" is not a status ${channel} can auto-close from; use ${allowed.join(', ')}`);
    }
    if (seen.has(status)) throw new ConfigError(key, `"${status}" is given twice`);
    seen.add(status);
    durations[status as LiveStatus] = parsePolicyDuration(key, text, { never: true, max: LONGEST_POLICY_MS, what: status });
  }
  return durations;
};

const readFixed = (env: Env, key: TimerKey, max = LONGEST_POLICY_MS): number =>
  parsePolicyDuration(key, read(env, key), { never: false, max }) as number;

export const readTimerConfig = (env: Env): TimerConfig => {
  const timers = read(env, 'TIMERS');
  if (timers !== 'on' && timers !== 'off') throw new ConfigError('TIMERS', `"${timers}" is not one of on, off`);
  const autoClose = Object.fromEntries(CHANNELS.map((channel) => [channel, readAutoClose(env, channel)])) as TimerPolicy['autoClose'];
  return {
    timers,
    timerPolicy: {
      autoClose,
      pushReservationTimeoutMs: readFixed(env, 'PUSH_RESERVATION_TIMEOUT'),
      agentDisconnectTimeoutMs: readFixed(env, 'AGENT_DISCONNECT_TIMEOUT'),
      customerDisconnectTimeoutMs: readFixed(env, 'CUSTOMER_DISCONNECT_TIMEOUT'),
      waitingInactivityTimeoutMs: readFixed(env, 'WAITING_INACTIVITY_TIMEOUT'),
    },
    timerPollIntervalMs: readFixed(env, 'TIMER_POLL_INTERVAL', LONGEST_INTERVAL_MS),
    autoCloseSweepIntervalMs: readFixed(env, 'AUTO_CLOSE_SWEEP_INTERVAL', LONGEST_INTERVAL_MS),
  };
};
