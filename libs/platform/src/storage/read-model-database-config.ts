import { join } from 'node:path';
import type { ReadModelDatabaseConfig } from '@lib/read-models';
import type { AppConfig } from '../config/app-config';

/** Where the read models live: PostgreSQL when configured, else SQLite beside the event log. */
export const readModelDatabaseConfig = (config: AppConfig): ReadModelDatabaseConfig => {
  if (config.readModelsUrl) return { kind: 'postgres', url: config.readModelsUrl };
  if (config.eventStore === 'memory') return { kind: 'sqlite', filename: ':memory:' };
  return { kind: 'sqlite', filename: join(config.dataDir, 'read-models.sqlite') };
};

/**
 * Where the event feed keeps its subscriptions and delivery progress: beside the read models
 * (`same`) in PostgreSQL and in memory; on SQLite a file of its own, so a delivery's small write
 * never waits for the projector thread's transaction on the views (SQLite has one writer per file).
 */
export const eventFeedDatabaseConfig = (config: AppConfig): ReadModelDatabaseConfig | 'same' => {
  if (config.readModelsUrl || config.eventStore === 'memory') return 'same';
  return { kind: 'sqlite', filename: join(config.dataDir, 'event-feed.sqlite') };
};
