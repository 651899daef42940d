import { ConfigError } from './config-error';
import { settingsReader, type Env } from './env-settings';

/** How the service is run: readiness, shutdown, metrics, and the proxies in front of it. */
export interface OperationsConfig {
  /** /health/ready answers 503 while a view is further than this many events behind the log's head. */
  healthReadyMaxLag: number;
  /** On SIGTERM, readiness turns 503 and the service keeps answering this long before it stops accepting. */
  shutdownDrainMs: number;
  /** Serve /metrics on this port instead of the main one (absent: the main port). */
  metricsPort?: number;
  /**
   * Which proxies' X-Forwarded-For to believe for the caller's address (rate limits per address):
   * false (none), true (all), a hop count, or addresses/CIDRs.
   */
  trustProxy: boolean | number | string[];
}

export const OPERATIONS_CONFIG_DEFAULTS = {
  HEALTH_READY_MAX_LAG: '1000',
  SHUTDOWN_DRAIN: '5s',
  METRICS_PORT: '',
  TRUST_PROXY: '',
} as const;

const { read, wholeNumber, duration } = settingsReader(OPERATIONS_CONFIG_DEFAULTS);

const trustProxy = (env: Env): OperationsConfig['trustProxy'] => {
  const text = read(env, 'TRUST_PROXY').trim();
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return wholeNumber(env, 'TRUST_PROXY', 1, 100);
  const addresses = text.split(',').map((part) => part.trim());
  const bad = addresses.find((address) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(address));
  if (bad !== undefined) {
    throw new ConfigError(
      'TRUST_PROXY',
      `"${bad}" is not an address or CIDR; use false, true, a hop count, or addresses like 10.0.0.0/8,127.0.0.1`,
    );
  }
  return addresses;
};

export const readOperationsConfig = (env: Env): OperationsConfig => {
  return {
    healthReadyMaxLag: wholeNumber(env, 'HEALTH_READY_MAX_LAG', 0, 1_000_000_000),
    shutdownDrainMs: duration(env, 'SHUTDOWN_DRAIN', 300_000),
    metricsPort: read(env, 'METRICS_PORT') === '' ? undefined : wholeNumber(env, 'METRICS_PORT', 1, 65535),
    trustProxy: trustProxy(env),
  };
};
