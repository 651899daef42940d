import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from '@lib/event-store';
import { EVENTS_FILE, eventStoreLocation, loadConfig, loadOperatorCorrections, openEventStore, withEventCorrections } from '@lib/platform';

/**
 * Opens the configured event log for reading: the SQLite file in DATA_DIR, or EventStoreDB at
 * ESDB_CONNECTION_STRING (the production shape). Unlike the service it never creates a SQLite
 * log: a report over a log that is not there is a mistake to say, not an empty report. The log is
 * read as the service reads it, through the same corrections of stored events.
 */
export const openEventLogForReading = async (): Promise<{ store: EventStore; location: string }> => {
  const config = loadConfig();
  if (config.eventStore === 'memory') {
    throw new Error('EVENT_STORE=memory keeps no log to read; use EVENT_STORE=sqlite (with DATA_DIR) or eventstoredb');
  }
  const location = eventStoreLocation(config);
  if (config.eventStore === 'sqlite') {
    const filename = join(config.dataDir, EVENTS_FILE);
    if (!existsSync(filename)) throw new Error(`No event log at ${filename}; set DATA_DIR to the service's data directory`);
    try {
      accessSync(filename, constants.R_OK);
    } catch (error) {
      throw new Error(`Cannot read the event log at ${filename}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const corrections = loadOperatorCorrections(config.eventCorrectionsFile);
  try {
    const store = await openEventStore(config, { sqliteCheckpointIntervalMs: 0 });
    return { store: withEventCorrections(store, corrections), location };
  } catch (error) {
    throw new Error(`Cannot read the event log at ${location}: ${error instanceof Error ? error.message : String(error)}`);
  }
};
