import { ConfigError } from './config-error';
import { settingsReader, type Env } from './env-settings';

/** How contact-center KPIs are counted (reports now; live KPIs later). */
export interface KpiConfig {
  /** Service level: the share of conversations accepted within this long of opening. */
  serviceLevelThresholdMs: number;
}

export const KPI_CONFIG_DEFAULTS = {
  SERVICE_LEVEL_THRESHOLD: '20s',
} as const;

const { duration } = settingsReader(KPI_CONFIG_DEFAULTS);

export const readKpiConfig = (env: Env): KpiConfig => {
  const serviceLevelThresholdMs = duration(env, 'SERVICE_LEVEL_THRESHOLD', 24 * 3_600_000);
  if (serviceLevelThresholdMs <= 0) throw new ConfigError('SERVICE_LEVEL_THRESHOLD', 'must be longer than 0');
  return { serviceLevelThresholdMs };
};
