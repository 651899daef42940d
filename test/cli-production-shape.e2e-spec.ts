/**
 * The operator CLI in the production shape: events in EventStoreDB (the in-process test server,
 * reached by the CLI process over gRPC), views in PostgreSQL (a throwaway schema). The same day is
 * seeded through the CLI into EventStoreDB and into a SQLite log; then the report, the queue view
 * and a rebuild of the views must come out the same from both (log positions, which differ by
 * store, compared by their rank in the log).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type EventStore } from '@lib/event-store';
import { EventStoreDbEventStore } from '@lib/event-store/eventstoredb';
import { InProcessEventStoreDbServer } from '@lib/event-store/eventstoredb/testing/in-process-eventstoredb-server';
import { openReadModelDatabase, type ReadModelDatabase } from '@lib/read-models';
import { VIEW_TABLES } from '@lib/read-models/database/read-model-schema';
import { DEFAULT_TEST_POSTGRES_URL, probePostgres, redactUrl } from '@lib/read-models/testing/postgres-probe';
import { createThrowawaySchema, type ThrowawaySchema } from './support/throwaway-postgres-schema';

const ROOT = join(__dirname, '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');
const postgresUrl = process.env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
const probe = probePostgres(postgresUrl);
const DAY = ['--from', '2026-11-20T00:00:00Z', '--to', '2026-11-21T00:00:00Z'];

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI as its own process. Asynchronous, never spawnSync: the EventStoreDB test server runs in
 * this process and must keep answering the CLI while it runs.
 */
const run = (env: Record<string, string>, ...args: string[]): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', LOADER, join(ROOT, 'apps/cli/src/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });

/** A CLI run that must succeed. */
const cli = async (env: Record<string, string>, ...args: string[]): Promise<CliRun> => {
  const done = await run(env, ...args);
  if (done.status !== 0) throw new Error(`cli ${args.join(' ')} exited ${done.status}: ${done.stderr}`);
  return done;
};

/** Rank of each event in the log (1, 2, 3...), by position: what two stores of one history agree on. */
const ranksOf = async (store: EventStore): Promise<Map<number, number>> => {
  const ranks = new Map<number, number>();
  for (let after = 0; ;) {
    const page = await store.readAll({ after, maxCount: 1_000 });
    if (page.length === 0) return ranks;
    for (const event of page) ranks.set(event.position, ranks.size + 1);
    after = page[page.length - 1].position;
  }
};

const POSITION_COLUMNS = new Set(['position', 'joined_position', 'failed_position']);

/** Every view table's rows, positions replaced by ranks, in a stable order. */
const viewsOf = async (database: ReadModelDatabase, ranks: Map<number, number>) => {
  const views: Record<string, unknown[]> = {};
  for (const table of VIEW_TABLES) {
    const rows = (await database.db.selectFrom(table).selectAll().execute()) as Array<Record<string, unknown>>;
    views[table] = rows
      .map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([column, value]) => [
            column,
            POSITION_COLUMNS.has(column) && value !== null ? (ranks.get(Number(value)) ?? `unknown ${value}`) : value,
          ]),
        ),
      )
      .map((row) => JSON.stringify(row))
      .sort();
  }
  return views;
};

if (!probe.reachable && process.env.REQUIRE_POSTGRES === '1') {
  describe('the CLI on EventStoreDB with views in PostgreSQL', () => {
    it('needs PostgreSQL (REQUIRE_POSTGRES=1)', () => {
      throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL cannot be reached at ${redactUrl(postgresUrl)} (${probe.reason})`);
    });
  });
} else {
  if (!probe.reachable) console.warn(`CLI production-shape e2e rebuilds into SQLite: cannot reach PostgreSQL at ${redactUrl(postgresUrl)}`);

  describe(`the CLI on EventStoreDB with views in ${probe.reachable ? 'PostgreSQL' : 'SQLite'}`, () => {
    let server: InProcessEventStoreDbServer;
    let schema: ThrowawaySchema | undefined;
    let esdbDir: string;
    let sqliteDir: string;
    let esdbEnv: Record<string, string>;
    let sqliteEnv: Record<string, string>;
    /** Each log's positions by rank, once both are seeded. */
    const ranks = { esdb: new Map<number, number>(), sqlite: new Map<number, number>() };

    beforeAll(async () => {
      server = await InProcessEventStoreDbServer.start();
      if (probe.reachable) schema = await createThrowawaySchema(postgresUrl, 'cli_esdb');
      esdbDir = mkdtempSync(join(tmpdir(), 'cli-esdb-'));
      sqliteDir = mkdtempSync(join(tmpdir(), 'cli-sqlite-'));
      esdbEnv = {
        EVENT_STORE: 'eventstoredb',
        ESDB_CONNECTION_STRING: server.connectionString,
        DATA_DIR: esdbDir,
        ...(schema ? { READ_MODELS_URL: schema.readModelsUrl } : {}),
      };
      sqliteEnv = { EVENT_STORE: 'sqlite', DATA_DIR: sqliteDir };
      for (const env of [esdbEnv, sqliteEnv]) {
        const seeded = await cli(env, 'seed', '--conversations', '60', '--seed', '7');
        expect(seeded.stdout).toMatch(/Seeded 60 conversations/);
      }
      const esdb = await EventStoreDbEventStore.connect(server.connectionString);
      const sqlite = new SqliteEventStore({ filename: join(sqliteDir, 'events.sqlite'), checkpointIntervalMs: 0 });
      try {
        ranks.esdb = await ranksOf(esdb);
        ranks.sqlite = await ranksOf(sqlite);
      } finally {
        await esdb.close();
        await sqlite.close();
      }
      expect(ranks.esdb.size).toBe(ranks.sqlite.size);
    }, 240_000);

    afterAll(async () => {
      await server.stop();
      await schema?.drop();
      rmSync(esdbDir, { recursive: true, force: true });
      rmSync(sqliteDir, { recursive: true, force: true });
    });

    it('seeds into EventStoreDB, names the server, and refuses to seed it twice', async () => {
      const again = await run(esdbEnv, 'seed');
      expect(again.status).not.toBe(0);
      expect(again.stderr).toMatch(/EventStoreDB at esdb:\/\/.* already holds events; seed an empty database/);
    });

    it('reports the same day from EventStoreDB as from SQLite (JSON: rows and aggregates; CSV)', async () => {
      type Report = { conversations: unknown[]; throughPosition: number };
      const fromEsdb = JSON.parse((await cli(esdbEnv, 'report', '--format', 'json', ...DAY)).stdout) as Report;
      const fromSqlite = JSON.parse((await cli(sqliteEnv, 'report', '--format', 'json', ...DAY)).stdout) as Report;
      expect(fromEsdb.conversations).toHaveLength(60);
      // The log position the report reached differs by store; its rank in the log does not.
      const { throughPosition: esdbThrough, ...esdbReport } = fromEsdb;
      const { throughPosition: sqliteThrough, ...sqliteReport } = fromSqlite;
      expect(esdbReport).toEqual(sqliteReport);
      expect(ranks.esdb.get(esdbThrough)).toBe(ranks.sqlite.get(sqliteThrough));
      const out = join(esdbDir, 'aggregates.csv');
      await cli(esdbEnv, 'report', '--table', 'aggregates', '--out', out, ...DAY);
      expect(readFileSync(out, 'utf8')).toBe((await cli(sqliteEnv, 'report', '--table', 'aggregates', ...DAY)).stdout);
    });

    it('shows the same queues as of a past time from both stores', async () => {
      const asOf = ['--as-of', '2026-11-20T09:00:00Z', '--format', 'json'];
      const fromEsdb = JSON.parse((await cli(esdbEnv, 'queue-view', ...asOf)).stdout) as { queues: unknown[] };
      expect(fromEsdb.queues.length).toBeGreaterThan(0);
      expect(fromEsdb).toEqual(JSON.parse((await cli(sqliteEnv, 'queue-view', ...asOf)).stdout));
    });

    it('rebuilds the views from EventStoreDB into PostgreSQL equal to a rebuild from the SQLite log', async () => {
      expect((await cli(esdbEnv, 'rebuild')).stdout).toMatch(/Rebuilt the read models from \d+ events/);
      expect((await cli(sqliteEnv, 'rebuild')).stdout).toMatch(/Rebuilt the read models from \d+ events/);

      const rebuiltFromEsdb = await openReadModelDatabase(
        schema ? { kind: 'postgres', url: schema.readModelsUrl } : { kind: 'sqlite', filename: join(esdbDir, 'read-models.sqlite') },
      );
      const rebuiltFromSqlite = await openReadModelDatabase({ kind: 'sqlite', filename: join(sqliteDir, 'read-models.sqlite') });
      try {
        const views = await viewsOf(rebuiltFromEsdb, ranks.esdb);
        expect(views.conversation_views.length + views.closed_work_items.length).toBeGreaterThan(0);
        expect(views).toEqual(await viewsOf(rebuiltFromSqlite, ranks.sqlite));
      } finally {
        await rebuiltFromEsdb.destroy();
        await rebuiltFromSqlite.destroy();
      }
    });

    it('refuses the memory store for every command that reads or writes the log', async () => {
      for (const command of ['report', 'rebuild', 'seed']) {
        const refused = await run({ EVENT_STORE: 'memory' }, command);
        expect({ command, status: refused.status }).toEqual({ command, status: 1 });
        expect(refused.stderr).toMatch(/EVENT_STORE=memory keeps/);
      }
    });
  });
}
