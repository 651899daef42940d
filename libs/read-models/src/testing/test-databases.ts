/** Test-only: fresh read-model databases for the suite (SQLite temp files, PostgreSQL throwaway schemas). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { openReadModelDatabase, withDefaultPostgresUser, type ReadModelDatabase } from '../database/read-model-database';
import type { TestDatabases } from './read-models.suite';

export function sqliteTestDatabases(): TestDatabases {
  let handles: ReadModelDatabase[] = [];
  let directories: string[] = [];
  return {
    concurrentHandles: false,
    async open() {
      const directory = mkdtempSync(join(tmpdir(), 'read-models-'));
      directories.push(directory);
      // A nested path: opening creates the missing directories.
      const filename = join(directory, 'data', 'read-models.db');
      const open = async () => {
        const database = await openReadModelDatabase({ kind: 'sqlite', filename });
        handles.push(database);
        return database;
      };
      return { database: await open(), reopen: open };
    },
    async disposeAll() {
      const closing = handles;
      handles = [];
      await Promise.all(closing.map((database) => database.destroy().catch(() => undefined)));
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
      directories = [];
    },
  };
}

/** Each open() gets its own random schema, dropped by disposeAll(). */
export function postgresTestDatabases(url: string): TestDatabases & { close(): Promise<void> } {
  let handles: ReadModelDatabase[] = [];
  let schemas: string[] = [];
  let admin: Pool | undefined;
  return {
    concurrentHandles: true,
    async open() {
      const schema = `rm_test_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      const open = async () => {
        const database = await openReadModelDatabase({ kind: 'postgres', url, schema });
        handles.push(database);
        return database;
      };
      return { database: await open(), reopen: open };
    },
    async disposeAll() {
      const closing = handles;
      handles = [];
      await Promise.all(closing.map((database) => database.destroy().catch(() => undefined)));
      const dropping = schemas;
      schemas = [];
      if (dropping.length === 0) return;
      admin ??= new Pool({ connectionString: withDefaultPostgresUser(url), max: 1 });
      for (const schema of dropping) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
    async close() {
      await admin?.end();
      admin = undefined;
    },
  };
}
