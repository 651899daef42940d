import { resolve } from 'node:path';
import { ConfigError } from './config-error';
import { parseDuration } from './duration';
import { settingsReader, type Env } from './env-settings';
import { TIMER_CONFIG_DEFAULTS, readTimerConfig, type TimerConfig } from './timer-config';
import { WORK_DISTRIBUTION_CONFIG_DEFAULTS, readWorkDistributionConfig, type WorkDistributionConfig } from './work-distribution-config';
import { AUTH_CONFIG_DEFAULTS, readAuthConfig, type AuthConfig } from '../auth/auth-config';
import { OPERATIONS_CONFIG_DEFAULTS, readOperationsConfig, type OperationsConfig } from './operations-config';
import { EVENT_FEED_CONFIG_DEFAULTS, readEventFeedConfig, type EventFeedConfig } from './event-feed-config';
import { KPI_CONFIG_DEFAULTS, readKpiConfig, type KpiConfig } from './kpi-config';

export { ConfigError };

export type EventStoreKind = 'sqlite' | 'memory' | 'eventstoredb';

export interface AppConfig extends TimerConfig, WorkDistributionConfig, AuthConfig, OperationsConfig, EventFeedConfig, KpiConfig {
  port: number;
  host: string;
  dataDir: string;
  eventStore: EventStoreKind;
  /** Largest request body accepted; larger ones answer 413. */
  bodyLimitBytes: number;
  /** A request (headers and body) not received whole within this is answered 408 and its connection closed. */
  requestTimeoutMs: number;
  /** The same for the headers alone (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  customerReviveWindowMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** PostgreSQL URL for the read models; absent: SQLite beside the events (memory with the memory store). */
  readModelsUrl?: string;
  /** How long a query with minPosition waits for the views to reach it before answering 503. */
  readYourWritesTimeoutMs: number;
  /** How often Closed work items older than 24 hours are deleted. */
  closedWorkItemsPruneIntervalMs: number;
  /** How often the projector thread (SQLite store) looks for new events to apply. */
  projectorPollIntervalMs: number;
  /** Whether this instance keeps the views (`on`) or leaves that to another instance (`off`). */
  projector: 'on' | 'off';
  /** EventStoreDB's address (`esdb://host:2113?tls=false`); set exactly when eventStore is eventstoredb. */
  esdbConnectionString?: string;
  /** The operator's corrections of stored events (read on every read of the log); absent: only the built-in ones. */
  eventCorrectionsFile?: string;
}

/** Every setting, its environment variable and default: the README's configuration table. */
export const CONFIG_DEFAULTS = {
  PORT: '3000',
  HOST: '0.0.0.0',
  DATA_DIR: './data',
  EVENT_STORE: 'sqlite',
  BODY_LIMIT_BYTES: '65536',
  REQUEST_TIMEOUT: '30s',
  HEADERS_TIMEOUT: '10s',
  KEEP_ALIVE_TIMEOUT: '5s',
  CUSTOMER_REVIVE_WINDOW: '24h',
  LOG_LEVEL: 'log',
  READ_MODELS_URL: '',
  READ_YOUR_WRITES_TIMEOUT: '2s',
  CLOSED_WORK_ITEMS_PRUNE_INTERVAL: '10m',
  PROJECTOR_POLL_INTERVAL: '50ms',
  PROJECTOR: 'on',
  ESDB_CONNECTION_STRING: '',
  EVENT_CORRECTIONS_FILE: '',
  ...TIMER_CONFIG_DEFAULTS,
  ...WORK_DISTRIBUTION_CONFIG_DEFAULTS,
  ...AUTH_CONFIG_DEFAULTS,
  ...OPERATIONS_CONFIG_DEFAULTS,
  ...EVENT_FEED_CONFIG_DEFAULTS,
  ...KPI_CONFIG_DEFAULTS,
} as const;

const { read, wholeNumber: integer, url } = settingsReader(CONFIG_DEFAULTS);

/** Node's timers take at most 2^31 - 1 ms (about 24.8 days); longer ones fire after 1 ms. */
const LONGEST_TIMER_MS = 2_147_483_647;

const duration = (env: Env, key: keyof typeof CONFIG_DEFAULTS): number => {
  const text = read(env, key);
  const value = parseDuration(text);
  if (value === undefined) throw new ConfigError(key, `"${text}" is not a duration such as 500ms, 90s, 20m, 2h or 30d`);
  if (value > LONGEST_TIMER_MS) throw new ConfigError(key, `"${text}" is longer than the longest supported, 24d`);
  return value;
};

const positiveDuration = (env: Env, key: keyof typeof CONFIG_DEFAULTS): number => {
  const value = duration(env, key);
  if (value <= 0) throw new ConfigError(key, 'must be longer than 0');
  return value;
};

const postgresUrl = (env: Env, key: keyof typeof CONFIG_DEFAULTS): string | undefined =>
  url(env, key, ['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/database');

const esdbConnectionString = (env: Env, key: keyof typeof CONFIG_DEFAULTS): string | undefined => {
  const text = read(env, key);
  if (text === '') return undefined;
  if (!/^esdb(\+discover)?:\/\/[^/?#\s]+/.test(text)) {
    throw new ConfigError(
      key,
      'is not an EventStoreDB connection string such as esdb://localhost:2113?tls=false (or esdb+discover:// for a cluster)',
    );
  }
  return text;
};

const oneOf = <T extends string>(env: Env, key: keyof typeof CONFIG_DEFAULTS, allowed: readonly T[]): T => {
  const text = read(env, key);
  if (!allowed.includes(text as T)) throw new ConfigError(key, `"${text}" is not one of ${allowed.join(', ')}`);
  return text as T;
};

/** Reads and validates the whole configuration at start, so a bad value stops the service with its name. */
export const loadConfig = (env: Env = process.env): AppConfig => {
  const config = readConfig(env);
  if (config.eventStore === 'memory' && config.readModelsUrl) {
    throw new ConfigError(
      'READ_MODELS_URL',
      'cannot keep views in PostgreSQL of an in-memory event log that is gone at every restart; use EVENT_STORE=sqlite',
    );
  }
  if (config.eventStore === 'memory' && config.projector === 'off') {
    throw new ConfigError(
      'PROJECTOR',
      'off needs another instance to keep the views, which an in-memory event log cannot share; use EVENT_STORE=sqlite',
    );
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError(
      'HEADERS_TIMEOUT',
      `${config.headersTimeoutMs} ms is longer than REQUEST_TIMEOUT (${config.requestTimeoutMs} ms), which covers the headers too`,
    );
  }
  if (config.eventStore === 'eventstoredb' && !config.esdbConnectionString) {
    throw new ConfigError('ESDB_CONNECTION_STRING', 'is required with EVENT_STORE=eventstoredb, e.g. esdb://localhost:2113?tls=false');
  }
  if (config.eventStore !== 'eventstoredb' && config.esdbConnectionString) {
    throw new ConfigError(
      'ESDB_CONNECTION_STRING',
      `is set but EVENT_STORE is ${config.eventStore}, so events would not go to EventStoreDB; set EVENT_STORE=eventstoredb or unset it`,
    );
  }
  return config;
};

const readConfig = (env: Env): AppConfig => ({
  port: integer(env, 'PORT', 0, 65535),
  host: read(env, 'HOST'),
  dataDir: resolve(read(env, 'DATA_DIR')),
  eventStore: oneOf(env, 'EVENT_STORE', ['sqlite', 'memory', 'eventstoredb'] as const),
  bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1024, 10 * 1024 * 1024),
  requestTimeoutMs: positiveDuration(env, 'REQUEST_TIMEOUT'),
  headersTimeoutMs: positiveDuration(env, 'HEADERS_TIMEOUT'),
  keepAliveTimeoutMs: positiveDuration(env, 'KEEP_ALIVE_TIMEOUT'),
  customerReviveWindowMs: duration(env, 'CUSTOMER_REVIVE_WINDOW'),
  logLevel: oneOf(env, 'LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const),
  readModelsUrl: postgresUrl(env, 'READ_MODELS_URL'),
  readYourWritesTimeoutMs: duration(env, 'READ_YOUR_WRITES_TIMEOUT'),
  closedWorkItemsPruneIntervalMs: positiveDuration(env, 'CLOSED_WORK_ITEMS_PRUNE_INTERVAL'),
  projectorPollIntervalMs: positiveDuration(env, 'PROJECTOR_POLL_INTERVAL'),
  projector: oneOf(env, 'PROJECTOR', ['on', 'off'] as const),
  esdbConnectionString: esdbConnectionString(env, 'ESDB_CONNECTION_STRING'),
  eventCorrectionsFile: read(env, 'EVENT_CORRECTIONS_FILE') === '' ? undefined : resolve(read(env, 'EVENT_CORRECTIONS_FILE')),
  ...readTimerConfig(env),
  ...readWorkDistributionConfig(env),
  ...readAuthConfig(env),
  ...readOperationsConfig(env),
  ...readEventFeedConfig(env),
  ...readKpiConfig(env),
});
