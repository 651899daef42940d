import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_name TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    event_id    TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    UNIQUE (stream_name, revision)
  );
`;

/**
 * Opens (creating if needed) the event log file with the settings its guarantees rest on.
 * AUTOINCREMENT keeps positions from ever being reused, even after the last event is deleted
 * by hand, so a subscriber's checkpoint can never point at a different event later.
 */
export function openEventDatabase(filename: string, busyTimeoutMs: number): Database.Database {
  if (isOnDisk(filename)) mkdirSync(dirname(resolve(filename)), { recursive: true });
  // The busy timeout comes with the connection, before anything else: switching to WAL and
  // creating the schema already need locks another process may be holding.
  const db = new Database(filename, { timeout: busyTimeoutMs });
  try {
    // WAL lets readers (other processes' subscriptions) run while one writer commits.
    db.pragma('journal_mode = WAL');
    // FULL fsyncs the WAL on every commit: an acknowledged append survives power loss, not just a crash.
    db.pragma('synchronous = FULL');
    // Checkpoints normally run on a worker thread (WalCheckpointer); this threshold (~200 MB of
    // WAL) only bounds the WAL if that thread falls behind or the file is opened without it.
    db.pragma('wal_autocheckpoint = 50000');
    db.exec(SCHEMA);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function isOnDisk(filename: string): boolean {
  return filename !== '' && filename !== ':memory:' && !filename.startsWith('file:');
}
