/**
 * What the service (apps/api) and the operator CLI (apps/cli) share beyond the domain: the
 * configuration read from the environment and its validation, the embedded token issuer
 * (roles, signing key, tokens), and where the event log and the read models are and how the
 * log is read (event corrections). Nothing here is Nest-specific: modules, guards and
 * controllers stay in apps/api.
 */
export { ConfigError } from './config/config-error';
export { parseDuration } from './config/duration';
export { CONFIG_DEFAULTS, loadConfig, type AppConfig, type EventStoreKind } from './config/app-config';
export { TIMER_CONFIG_DEFAULTS, readTimerConfig, type TimerConfig } from './config/timer-config';
export {
  WORK_DISTRIBUTION_CONFIG_DEFAULTS,
  readWorkDistributionConfig,
  type WorkDistributionConfig,
} from './config/work-distribution-config';
export { KPI_CONFIG_DEFAULTS, readKpiConfig, type KpiConfig } from './config/kpi-config';
export { EVENT_FEED_CONFIG_DEFAULTS, readEventFeedConfig, type EventFeedConfig } from './config/event-feed-config';
export { OPERATIONS_CONFIG_DEFAULTS, readOperationsConfig, type OperationsConfig } from './config/operations-config';
export {
  AUTH_CONFIG_DEFAULTS,
  EMBEDDED_AUDIENCE,
  EMBEDDED_ISSUER,
  parseTokenTtl,
  readAuthConfig,
  type AuthConfig,
  type DeskOidcConfig,
} from './auth/auth-config';
export { ROLES, isRole, type Principal, type Role } from './auth/principal';
export {
  EMBEDDED_ALGORITHM,
  SIGNING_KEY_FILE,
  generateSigningKey,
  loadOrCreateSigningKey,
  readSigningKey,
  type SigningKey,
} from './auth/signing-key';
export { issueToken, type TokenRequest } from './auth/tokens';
export { EVENTS_FILE } from './storage/event-log-file';
export { eventStoreLocation, openEventStore, type OpenEventStoreOptions } from './storage/open-event-store';
export { eventFeedDatabaseConfig, readModelDatabaseConfig } from './storage/read-model-database-config';
export { eventCorrection, loadOperatorCorrections, withEventCorrections, type OperatorCorrection } from './storage/event-corrections';
