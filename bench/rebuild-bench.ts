import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CAPACITY_POLICY, DEFAULT_CONVERSATION_POLICY, system, type ConversationCommand } from '@lib/domain';
import {
  AgentLedger,
  CapacityCoordinator,
  DEFAULT_COMMAND_RETRY,
  HandleConversationCommand,
  HandleConversationCommandHandler,
  QueueDirectory,
} from '@lib/conversation-lifecycle';
import { InMemoryEventStore, SqliteEventStore, type EventStore } from '@lib/event-store';
import { migrateToLatest, openReadModelDatabase, rebuildReadModels } from '@lib/read-models';
import { DEFAULT_REPLAY_BATCH_SIZE, replayReport } from '@lib/reporting';
import { withEventCorrections } from '@lib/platform';

/**
 * The rebuild of the read models and the report replay, each against a plain scan of the same
 * SQLite event log in the same run (the yardstick: what reading the log alone costs here, now).
 *
 * The log holds BENCH_REBUILD_CONVERSATIONS (50,000, about 500,000 events) conversations over BENCH_REBUILD_AGENTS
 * (500) agents in 10 queues, written by the service's own command handler (with capacity, so
 * agent streams carry reservations, wrap-up blocks and releases) into memory, then copied into
 * an events.sqlite file. BENCH_REBUILD_LOG names a file to keep it in and reuse on later runs.
 * Each measurement runs BENCH_REBUILD_RUNS (3) times; the rebuild goes into a fresh SQLite
 * read-model database each time, as `npm run cli -- rebuild`, the replay reads the log as
 * `npm run cli -- report` (through the event corrections both commands read through).
 */
const CONVERSATIONS = Number(process.env.BENCH_REBUILD_CONVERSATIONS ?? 50_000);
const AGENTS = Number(process.env.BENCH_REBUILD_AGENTS ?? 500);
const RUNS = Number(process.env.BENCH_REBUILD_RUNS ?? 3);
const KEPT_LOG = process.env.BENCH_REBUILD_LOG;
/** Comma-separated subset of scan,port,rebuild,replay to measure (for profiling one of them). */
const ONLY = process.env.BENCH_REBUILD_ONLY;
const QUEUES = Array.from({ length: 10 }, (_, i) => `q-${i}`);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** The log's day: fixed, so every run writes the same history. */
const DAY_START_MS = Date.parse('2026-03-02T00:00:00.000Z');
const DAY_END_MS = DAY_START_MS + 24 * 60 * MINUTE;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A contact-center day: most conversations are picked, exchange messages, end and are closed;
 * one in 20 is abandoned in the queue, one in 33 transferred to another queue and picked again,
 * one in 9 parked (waiting) and revived.
 */
async function writeDay(store: InMemoryEventStore): Promise<void> {
  const by = system('bench');
  const queues = new QueueDirectory(store);
  const ledger = new AgentLedger(store, DEFAULT_CAPACITY_POLICY);
  for (const queueId of QUEUES) {
    await queues.define(queueId, { name: queueId, mode: 'pick', priority: 0, method: 'highest_free_capacity' }, by, iso(DAY_START_MS));
  }
  for (let i = 0; i < AGENTS; i++) {
    const agentId = `agent-${i}`;
    await ledger.execute(agentId, {
      type: 'RegisterAgent',
      data: { agentId, capacity: 3, queueIds: QUEUES, presence: 'available', by },
      metadata: { now: iso(DAY_START_MS) },
    });
  }
  const handler = new HandleConversationCommandHandler(
    store,
    DEFAULT_CONVERSATION_POLICY,
    DEFAULT_COMMAND_RETRY,
    new CapacityCoordinator(ledger),
    queues,
  );
  const spacing = (DAY_END_MS - DAY_START_MS - 60 * MINUTE) / CONVERSATIONS;
  let commands = 0;
  const run = async (id: string, atMs: number, command: Omit<ConversationCommand, 'metadata'>) => {
    await handler.execute(
      new HandleConversationCommand(id, { ...command, metadata: { now: iso(atMs) } } as ConversationCommand, `bench-${commands++}`),
    );
  };
  const started = Date.now();
  for (let i = 0; i < CONVERSATIONS; i++) {
    const id = `c-${i}`;
    const openedMs = DAY_START_MS + MINUTE + Math.round(i * spacing);
    const queueId = QUEUES[i % QUEUES.length];
    const agentId = `agent-${i % AGENTS}`;
    const waitMs = ((i * 7919) % 60) * SECOND;
    await run(id, openedMs, {
      type: 'OpenConversation',
      data: { conversationId: id, channel: i % 4 === 0 ? 'sms' : 'live_chat', queueId, customerId: `cust-${i}`, priority: 0 },
    } as never);
    if (i % 20 === 7) {
      await run(id, openedMs + 30 * SECOND, { type: 'EndConversation', data: { by: 'customer' } } as never);
      continue;
    }
    let tMs = openedMs + waitMs;
    await run(id, tMs, { type: 'PickConversation', data: { agentId } } as never);
    let holder = agentId;
    await run(id, (tMs += 20 * SECOND), { type: 'RecordMessage', data: { from: 'agent', agentId: holder } } as never);
    await run(id, (tMs += 40 * SECOND), { type: 'RecordMessage', data: { from: 'customer' } } as never);
    if (i % 33 === 5) {
      await run(id, (tMs += 2 * MINUTE), {
        type: 'TransferConversation',
        data: { agentId, toQueueId: QUEUES[(i + 1) % QUEUES.length] },
      } as never);
      holder = `agent-${(i + 1) % AGENTS}`;
      await run(id, (tMs += MINUTE), { type: 'PickConversation', data: { agentId: holder } } as never);
    }
    if (i % 4 === 0 && i % 9 === 2) {
      // An SMS conversation parks when the agent closes the session, and the agent revives it.
      await run(id, (tMs += MINUTE), { type: 'CloseSession', data: { agentId: holder } } as never);
      await run(id, (tMs += 5 * MINUTE), { type: 'ReviveConversation', data: { agentId: holder } } as never);
    }
    await run(id, (tMs += 3 * MINUTE + ((i * 104729) % 120) * SECOND), {
      type: 'RecordMessage',
      data: { from: 'agent', agentId: holder },
    } as never);
    await run(id, (tMs += 30 * SECOND), { type: 'EndConversation', data: { by: 'agent', agentId: holder } } as never);
    await run(id, tMs + MINUTE, { type: 'CloseSession', data: { agentId: holder } } as never);
    if (i % 10_000 === 9_999) console.log(`  ${i + 1} conversations written (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}

/** Copies the in-memory log into a new events.sqlite file, position for position. */
async function copyToSqlite(source: InMemoryEventStore, filename: string): Promise<void> {
  // The adapter creates the file with its own schema; rows then go in with one transaction.
  await new SqliteEventStore({ filename, checkpointIntervalMs: 0 }).close();
  const db = new Database(filename);
  try {
    const insert = db.prepare(
      'INSERT INTO events (position, stream_name, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const head = await source.headPosition();
    for (let after = 0; after < head;) {
      const page = await source.readAll({ after, maxCount: 10_000 });
      db.transaction(() => {
        for (const e of page) {
          insert.run(e.position, e.streamName, e.revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
        }
      })();
      after = page[page.length - 1].position;
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** The yardstick: every row of the events table read and its data and metadata parsed, nothing else. */
function plainScan(filename: string): number {
  const db = new Database(filename, { readonly: true });
  try {
    let events = 0;
    let bytes = 0;
    const rows = db.prepare('SELECT position, stream_name, revision, event_id, type, data, metadata FROM events ORDER BY position');
    for (const row of rows.iterate() as IterableIterator<{ data: string; metadata: string }>) {
      const data = JSON.parse(row.data) as unknown;
      const metadata = JSON.parse(row.metadata) as unknown;
      // Keeps the parse from being optimised away.
      if (data !== null && metadata !== null) bytes += row.data.length;
      events++;
    }
    if (bytes === 0) throw new Error('The log is empty');
    return events;
  } finally {
    db.close();
  }
}

/** The event log as the CLI opens it: the SQLite adapter behind the stored-event corrections. */
const openLog = (filename: string): EventStore => withEventCorrections(new SqliteEventStore({ filename, checkpointIntervalMs: 0 }), []);

async function rebuildOnce(filename: string, workDir: string, run: number): Promise<number> {
  const store = openLog(filename);
  const database = await openReadModelDatabase({ kind: 'sqlite', filename: join(workDir, `read-models-${run}.sqlite`) });
  try {
    await migrateToLatest(database);
    const started = performance.now();
    const result = await rebuildReadModels(store, database);
    const seconds = (performance.now() - started) / 1000;
    return result.events / seconds;
  } finally {
    await database.destroy();
    await store.close();
  }
}

async function replayOnce(filename: string): Promise<{ rate: number; conversations: number }> {
  const store = openLog(filename);
  try {
    let events = 0;
    const started = performance.now();
    const report = await replayReport(store, { agentCapacity: 1, now: iso(DAY_END_MS), onProgress: (done) => (events = done) });
    const seconds = (performance.now() - started) / 1000;
    return { rate: events / seconds, conversations: report.conversations.length };
  } finally {
    await store.close();
  }
}

/** Reading alone through the port, as both commands read: pages of readAll through the corrections, nothing done with them. */
async function readThroughPort(filename: string): Promise<number> {
  const store = openLog(filename);
  try {
    const head = await store.headPosition();
    const started = performance.now();
    let events = 0;
    for (let after = 0; after < head;) {
      const page = await store.readAll({ after, maxCount: DEFAULT_REPLAY_BATCH_SIZE });
      if (page.length === 0) break;
      events += page.length;
      after = page[page.length - 1].position;
    }
    return events / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}

function timeScan(filename: string): number {
  const started = performance.now();
  const events = plainScan(filename);
  return events / ((performance.now() - started) / 1000);
}

const format = (rate: number) => Math.round(rate).toLocaleString('en-US');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const main = async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'cw-rebuild-bench-'));
  const filename = KEPT_LOG ?? join(workDir, 'events.sqlite');
  try {
    if (!existsSync(filename)) {
      console.log(`Writing ${CONVERSATIONS} conversations and ${AGENTS} agents through the command handler (in memory)...`);
      const memory = new InMemoryEventStore();
      await writeDay(memory);
      console.log(`Copying ${await memory.headPosition()} events into ${filename}...`);
      await copyToSqlite(memory, filename);
    } else {
      console.log(`Reusing the event log ${filename}`);
    }
    const head = await (async () => {
      const store = new SqliteEventStore({ filename, checkpointIntervalMs: 0 });
      try {
        return await store.headPosition();
      } finally {
        await store.close();
      }
    })();
    console.log(`${head} events, ${(statSync(filename).size / 1e6).toFixed(0)} MB; ${RUNS} runs each, in turn\n`);

    // Untimed: the first read of a freshly written file pays for the page cache and the writer's heap.
    plainScan(filename);
    const wanted = (what: string) => ONLY === undefined || ONLY.split(',').includes(what);
    const runs: Array<{ scan: number; port: number; rebuild: number; replay: number }> = [];
    for (let run = 1; run <= RUNS; run++) {
      // Interleaved, so a slower stretch of the shared machine lands on every measurement alike.
      runs.push({
        scan: wanted('scan') ? timeScan(filename) : Number.NaN,
        port: wanted('port') ? await readThroughPort(filename) : Number.NaN,
        rebuild: wanted('rebuild') ? await rebuildOnce(filename, workDir, run) : Number.NaN,
        replay: wanted('replay') ? (await replayOnce(filename)).rate : Number.NaN,
      });
    }
    const row = (label: string, { scan, port, rebuild, replay }: (typeof runs)[number]) =>
      `| ${label} | ${head} | ${format(scan)} | ${format(port)} | ${format(rebuild)} | ${(rebuild / scan).toFixed(2)}× | ${format(replay)} | ${(replay / scan).toFixed(2)}× |`;
    console.log(
      '| run | events | scan events/s | readAll events/s | rebuild events/s | rebuild ÷ scan | replay events/s | replay ÷ scan |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    runs.forEach((measured, index) => console.log(row(String(index + 1), measured)));
    const medianOf = (key: keyof (typeof runs)[number]) => median(runs.map((measured) => measured[key]));
    console.log(
      row('median of each column', {
        scan: medianOf('scan'),
        port: medianOf('port'),
        rebuild: medianOf('rebuild'),
        replay: medianOf('replay'),
      }),
    );
    console.log(
      '\nscan: every row read and its data and metadata parsed (better-sqlite3, one statement); readAll: the same log ' +
        'paged through the store port as both commands read it, nothing done with it.',
    );
    console.log('\nTargets: rebuild ≥ 0.30× scan, replay ≥ 0.50× scan (issue 19).');
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
