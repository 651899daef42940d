import { InMemoryEventStore } from '@lib/event-store';
import { sql } from 'kysely';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneClosedWorkItems } from '../maintenance/prune-closed-work-items';
import { migrateToLatest } from '../migrations/migrate';
import { createReadModelProjections } from '../projections/read-model-projections';
import { Projector } from '../projector/projector';
import { ReadModelQueries } from '../queries/read-model-queries';
import { openReadModelDatabase, withDefaultPostgresUser } from './read-model-database';
import { runInWriteTransaction } from './write-transaction';

describe('opening a read-model database', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'read-model-db-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('SQLite: creates missing directories, uses WAL, NORMAL sync and a busy timeout', async () => {
    const filename = join(directory, 'a', 'b', 'read-models.db');
    const database = await openReadModelDatabase({ kind: 'sqlite', filename });
    try {
      expect(database.kind).toBe('sqlite');
      expect(existsSync(filename)).toBe(true);
      const pragma = async (name: string) =>
        Object.values((await sql<Record<string, unknown>>`pragma ${sql.raw(name)}`.execute(database.db)).rows[0])[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
    } finally {
      await database.destroy();
    }
  });

  it('refuses a PostgreSQL schema that is not a plain lower-case identifier, before connecting', async () => {
    await expect(openReadModelDatabase({ kind: 'postgres', url: 'postgres://127.0.0.1:1/x', schema: 'Bad;Name' })).rejects.toThrow(
      RangeError,
    );
    await expect(openReadModelDatabase({ kind: 'sqlite', filename: '' })).rejects.toThrow(TypeError);
  });

  it('fills in the operating-system user when a PostgreSQL URL names none (as libpq does)', () => {
    const saved = { PGUSER: process.env.PGUSER, USER: process.env.USER };
    try {
      delete process.env.PGUSER;
      delete process.env.USER;
      expect(withDefaultPostgresUser('postgres://someone@127.0.0.1:5432/test')).toBe('postgres://someone@127.0.0.1:5432/test');
      expect(new URL(withDefaultPostgresUser('postgres://127.0.0.1:5432/test')).username).not.toBe('');
      process.env.USER = 'me';
      expect(withDefaultPostgresUser('postgres://127.0.0.1:5432/test')).toBe('postgres://127.0.0.1:5432/test');
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('rolls a write transaction back when its work throws', async () => {
    const database = await openReadModelDatabase({ kind: 'sqlite', filename: join(directory, 'tx.db') });
    try {
      await migrateToLatest(database);
      await expect(
        runInWriteTransaction(database, async (trx) => {
          await trx.insertInto('projection_checkpoints').values({ name: 'x', position: 1, updated_at: 'now' }).execute();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await database.db.selectFrom('projection_checkpoints').selectAll().execute()).toEqual([]);
    } finally {
      await database.destroy();
    }
  });

  it('checks arguments before touching the database', async () => {
    const database = await openReadModelDatabase({ kind: 'sqlite', filename: ':memory:' });
    try {
      const queries = new ReadModelQueries(database);
      await expect(queries.myWorkItems('', {})).rejects.toThrow(/agentId/);
      await expect(queries.audit({ agentId: '' })).rejects.toThrow(/agentId/);
      await expect(pruneClosedWorkItems(database, '2026-01-01T00:00:00.000Z', -1)).rejects.toThrow(/retentionMs/);
      const store = new InMemoryEventStore();
      expect(() => new Projector(store, database, createReadModelProjections(), { batchSize: 0 })).toThrow(/batchSize/);
      expect(() => new Projector(store, database, [...createReadModelProjections(), ...createReadModelProjections()])).toThrow(
        /Two projections/,
      );
      await expect(new Projector(store, database, []).waitForPosition(10, 0)).resolves.toBe(true);
    } finally {
      await database.destroy();
    }
  });
});
