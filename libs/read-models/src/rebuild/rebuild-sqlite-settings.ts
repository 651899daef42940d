import { sql } from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';

/**
 * SQLite settings of the rebuild's connection while it writes, against the defaults (2 MiB of
 * page cache, a WAL checkpoint every 1,000 pages). A rebuild writes every view's rows and indexes
 * at once: with the default cache, index pages are evicted and read back within a transaction;
 * with the default checkpoints, every commit copies the WAL into the file and syncs it, and an
 * index page rewritten by every batch is copied every time.
 */
const REBUILD_SETTINGS = {
  /** Negative: KiB (256 MiB). */
  cache_size: -256 * 1024,
  /** Pages (64 MiB of WAL at the default 4 KiB page size) before a commit checkpoints. */
  wal_autocheckpoint: 16_384,
} as const;

type Setting = keyof typeof REBUILD_SETTINGS;

async function readSetting(database: ReadModelDatabase, name: Setting): Promise<number> {
  const { rows } = await sql<Record<Setting, number>>`${sql.raw(`PRAGMA ${name}`)}`.execute(database.db);
  const value = Number(rows[0]?.[name]);
  if (!Number.isSafeInteger(value)) throw new Error(`PRAGMA ${name} answered ${JSON.stringify(rows[0])}`);
  return value;
}

const writeSetting = (database: ReadModelDatabase, name: Setting, value: number) =>
  sql.raw(`PRAGMA ${name} = ${value}`).execute(database.db);

/**
 * Runs a rebuild with REBUILD_SETTINGS on its SQLite connection, then gives the connection back
 * its own settings (the CLI's connection closes anyway; a test's goes on). The WAL is still
 * checkpointed and synced, only less often: durability of the live tables is unchanged.
 * PostgreSQL: as is.
 */
export async function withRebuildSettings<T>(database: ReadModelDatabase, work: () => Promise<T>): Promise<T> {
  if (database.kind !== 'sqlite') return work();
  const names = Object.keys(REBUILD_SETTINGS) as Setting[];
  const previous = new Map<Setting, number>();
  for (const name of names) previous.set(name, await readSetting(database, name));
  try {
    for (const name of names) await writeSetting(database, name, REBUILD_SETTINGS[name]);
    return await work();
  } finally {
    for (const [name, value] of previous) await writeSetting(database, name, value);
  }
}
