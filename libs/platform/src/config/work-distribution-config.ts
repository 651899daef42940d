import {
  CHANNELS,
  DEFAULT_CAPACITY_POLICY,
  MAX_FIXED_WRAP_UP_BLOCK_MS,
  MIN_FIXED_WRAP_UP_BLOCK_MS,
  isChannel,
  type CapacityPolicy,
  type Channel,
  type WrapUpCapacityBlock,
} from '@lib/domain';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';
import { settingsReader, type Env } from './env-settings';

/** Capacity and routing settings. */
export interface WorkDistributionConfig {
  capacityPolicy: CapacityPolicy;
  /** Whether this instance runs the push router (every instance may: offers race safely). */
  routing: 'on' | 'off';
  /** A routing pass also runs this often (real time), besides after the events that call for one. */
  routingIntervalMs: number;
  /** How often (real time) agents' claims are reconciled with their conversations. */
  capacityReconcileIntervalMs: number;
  /** A reservation with no conversation write after this long (service clock) is an orphan and released. */
  orphanReservationGraceMs: number;
}

const allChannels = (value: string) => CHANNELS.map((channel) => `${channel}=${value}`).join(',');

export const WORK_DISTRIBUTION_CONFIG_DEFAULTS = {
  CAPACITY_UNITS: allChannels('1'),
  WRAP_UP_CAPACITY_BLOCK: allChannels('always'),
  ROUTING: 'on',
  ROUTING_INTERVAL: '5s',
  CAPACITY_RECONCILE_INTERVAL: '1m',
  ORPHAN_RESERVATION_GRACE: '30s',
} as const;

type Key = keyof typeof WORK_DISTRIBUTION_CONFIG_DEFAULTS;

const { read } = settingsReader(WORK_DISTRIBUTION_CONFIG_DEFAULTS);

/** `voice=2,live_chat=1`: the channels named replace their defaults. */
const perChannel = <T>(
  env: Env,
  key: Key,
  defaults: Record<Channel, T>,
  parse: (text: string, channel: Channel) => T,
): Record<Channel, T> => {
  const values = { ...defaults };
  const seen = new Set<string>();
  for (const part of read(env, key).split(',')) {
    const match = /^\s*([a-z_]+)\s*=\s*(.+?)\s*$/.exec(part);
    if (!match) throw new ConfigError(key, `"${part}" is not channel=value, as in ${WORK_DISTRIBUTION_CONFIG_DEFAULTS[key]}`);
    const [, channel, text] = match;
    if (!isChannel(channel)) throw new ConfigError(key, `"${channel}" is not a channel; use ${CHANNELS.join(', ')}`);
    if (seen.has(channel)) throw new ConfigError(key, `"${channel}" is given twice`);
    seen.add(channel);
    values[channel] = parse(text, channel);
  }
  return values;
};

const units = (text: string, channel: Channel): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new ConfigError('CAPACITY_UNITS', `"${text}" (${channel}) is not a whole number of units between 1 and 1000`);
  }
  return value;
};

const wrapUpBlock = (text: string, channel: Channel): WrapUpCapacityBlock => {
  if (text === 'always' || text === 'never') return { kind: text };
  const ms = parseDuration(text);
  if (ms === undefined || ms < MIN_FIXED_WRAP_UP_BLOCK_MS || ms > MAX_FIXED_WRAP_UP_BLOCK_MS) {
    throw new ConfigError('WRAP_UP_CAPACITY_BLOCK', `"${text}" (${channel}) is not always, never or a duration from 30s to 60m`);
  }
  return { kind: 'fixed', ms };
};

/** setTimeout takes at most 2^31 - 1 ms. */
const LONGEST_INTERVAL_MS = 24 * 86_400_000;

const interval = (env: Env, key: Key, max = LONGEST_INTERVAL_MS): number => {
  const text = read(env, key);
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0 || ms > max) throw new ConfigError(key, `"${text}" is not a duration from 1ms to 24d, such as 5s or 1m`);
  return ms;
};

export const readWorkDistributionConfig = (env: Env): WorkDistributionConfig => {
  const routing = read(env, 'ROUTING');
  if (routing !== 'on' && routing !== 'off') throw new ConfigError('ROUTING', `"${routing}" is not one of on, off`);
  return {
    capacityPolicy: {
      unitsPerConversation: perChannel(env, 'CAPACITY_UNITS', DEFAULT_CAPACITY_POLICY.unitsPerConversation, units),
      wrapUpBlock: perChannel(env, 'WRAP_UP_CAPACITY_BLOCK', DEFAULT_CAPACITY_POLICY.wrapUpBlock, wrapUpBlock),
    },
    routing,
    routingIntervalMs: interval(env, 'ROUTING_INTERVAL'),
    capacityReconcileIntervalMs: interval(env, 'CAPACITY_RECONCILE_INTERVAL'),
    orphanReservationGraceMs: interval(env, 'ORPHAN_RESERVATION_GRACE', 365 * 86_400_000),
  };
};
