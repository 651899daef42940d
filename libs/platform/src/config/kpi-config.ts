import { IANAZone } from 'luxon';
import { ABANDONED_IN_SERVICE_LEVEL, type AbandonedInServiceLevel } from '@lib/read-models';
import { ConfigError } from './config-error';
import { settingsReader, type Env } from './env-settings';

/** How contact-center KPIs are counted (reports and the live KPIs). */
export interface KpiConfig {
  /** Service level: the share of conversations accepted within this long of waiting. */
  serviceLevelThresholdMs: number;
  /** Whether abandoned conversations count as missed in the service level (live KPIs). */
  serviceLevelAbandoned: AbandonedInServiceLevel;
  /** The IANA time zone whose midnight starts the live KPIs' `today` window. */
  kpiTimeZone: string;
}

export const KPI_CONFIG_DEFAULTS = {
  SERVICE_LEVEL_THRESHOLD: '20s',
  SERVICE_LEVEL_ABANDONED: 'missed',
  KPI_TIME_ZONE: 'UTC',
} as const;

const { duration, read } = settingsReader(KPI_CONFIG_DEFAULTS);

export const readKpiConfig = (env: Env): KpiConfig => {
  const serviceLevelThresholdMs = duration(env, 'SERVICE_LEVEL_THRESHOLD', 24 * 3_600_000);
  if (serviceLevelThresholdMs <= 0) throw new ConfigError('SERVICE_LEVEL_THRESHOLD', 'must be longer than 0');
  const serviceLevelAbandoned = read(env, 'SERVICE_LEVEL_ABANDONED');
  if (!(ABANDONED_IN_SERVICE_LEVEL as readonly string[]).includes(serviceLevelAbandoned)) {
    throw new ConfigError('SERVICE_LEVEL_ABANDONED', `"${serviceLevelAbandoned}" is not one of ${ABANDONED_IN_SERVICE_LEVEL.join(', ')}`);
  }
  const kpiTimeZone = read(env, 'KPI_TIME_ZONE');
  if (!IANAZone.isValidZone(kpiTimeZone)) {
    throw new ConfigError('KPI_TIME_ZONE', `"${kpiTimeZone}" is not an IANA time zone such as UTC, Europe/Paris or America/New_York`);
  }
  return { serviceLevelThresholdMs, serviceLevelAbandoned: serviceLevelAbandoned as AbandonedInServiceLevel, kpiTimeZone };
};
