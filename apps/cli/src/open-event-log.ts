import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore, type EventStore } from '@lib/event-store';
import { loadConfig, loadOperatorCorrections, withEventCorrections, EVENTS_FILE } from '@lib/platform';

/**
 * Opens the configured event log for reading. Unlike the service it never creates one: a report
 * over a log that is not there is a mistake to say, not an empty report.
 */
export const openEventLogForReading = (): { store: EventStore; filename: string } => {
  const config = loadConfig();
  if (config.eventStore !== 'sqlite') throw new Error(`EVENT_STORE=${config.eventStore} keeps no log to read; use EVENT_STORE=sqlite`);
  const filename = join(config.dataDir, EVENTS_FILE);
  if (!existsSync(filename)) throw new Error(`No event log at ${filename}; set DATA_DIR to the service's data directory`);
  // Read as the service reads it: the same corrections of stored events (built-in and EVENT_CORRECTIONS_FILE).
  const corrections = loadOperatorCorrections(config.eventCorrectionsFile);
  try {
    accessSync(filename, constants.R_OK);
    const store = withEventCorrections(new SqliteEventStore({ filename, checkpointIntervalMs: 0 }), corrections);
    return { store, filename };
  } catch (error) {
    throw new Error(`Cannot read the event log at ${filename}: ${error instanceof Error ? error.message : String(error)}`);
  }
};
