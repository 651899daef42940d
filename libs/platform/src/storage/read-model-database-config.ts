import { join } from 'node:path';
import type { ReadModelDatabaseConfig } from '@lib/read-models';
import type { AppConfig } from '../config/app-config';

/** Where the read models live: PostgreSQL when configured, else SQLite beside the event log. */
export const readModelDatabaseConfig = (config: AppConfig): ReadModelDatabaseConfig => {
  if (config.readModelsUrl) return { kind: 'postgres', url: config.readModelsUrl };
  if (config.eventStore === 'memory') return { kind: 'sqlite', filename: ':memory:' };
  return { kind: 'sqlite', filename: join(config.dataDir, 'read-models.sqlite') };
};
