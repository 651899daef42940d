import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONVERSATION_POLICY, DEFAULT_CAPACITY_POLICY, system, type ConversationCommand } from '@lib/domain';
import {
  AgentLedger,
  CapacityCoordinator,
  DEFAULT_COMMAND_RETRY,
  HandleConversationCommand,
  HandleConversationCommandHandler,
  QueueDirectory,
} from '@lib/conversation-lifecycle';
import { InMemoryEventStore } from '@lib/event-store';
import {
  AgentsAndQueuesProjection,
  LiveKpisProjection,
  migrateToLatest,
  openReadModelDatabase,
  runInWriteTransaction,
} from '@lib/read-models';
import { startService, stopService } from './service';
import { issueToken, readSigningKey } from '@lib/platform';

/**
 * The live KPI routes under load, on a day of BENCH_KPI_CONVERSATIONS (100,000) conversations
 * spread over today so far (UTC) and BENCH_KPI_AGENTS (2,000) agents in 10 queues.
 *
 * The day is written by the service's own command handler (with capacity, so agent streams
 * carry reservations, wrap-up blocks and releases) into an in-memory log, folded by the real
 * projections into DATA_DIR/read-models.sqlite, and then read by the service over HTTP
 * (`npm start`'s SQLite shape, its projector finding an empty log) with autocannon:
 * BENCH_CONNECTIONS (10) clients for BENCH_SECONDS (10) per route.
 */
const CONVERSATIONS = Number(process.env.BENCH_KPI_CONVERSATIONS ?? 100_000);
const AGENTS = Number(process.env.BENCH_KPI_AGENTS ?? 2_000);
const QUEUES = Array.from({ length: 10 }, (_, i) => `q-${i}`);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PORT = 3311;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

const iso = (ms: number) => new Date(ms).toISOString();

/** Writes the day; returns how many events. Conversation i opens at start + i·spacing. */
async function writeDay(store: InMemoryEventStore, dayStartMs: number, endMs: number): Promise<void> {
  const by = system('bench');
  const queues = new QueueDirectory(store);
  const ledger = new AgentLedger(store, DEFAULT_CAPACITY_POLICY);
  for (const queueId of QUEUES) {
    await queues.define(queueId, { name: queueId, mode: 'pick', priority: 0, method: 'highest_free_capacity' }, by, iso(dayStartMs));
  }
  for (let i = 0; i < AGENTS; i++) {
    const agentId = `agent-${i}`;
    await ledger.execute(agentId, {
      type: 'RegisterAgent',
      data: { agentId, capacity: 3, queueIds: QUEUES, presence: 'available', by },
      metadata: { now: iso(dayStartMs) },
    });
  }
  const handler = new HandleConversationCommandHandler(
    store,
    DEFAULT_CONVERSATION_POLICY,
    DEFAULT_COMMAND_RETRY,
    new CapacityCoordinator(ledger),
    queues,
  );
  const spacing = (endMs - dayStartMs - 20 * MINUTE) / CONVERSATIONS;
  let commands = 0;
  const run = async (id: string, atMs: number, command: Omit<ConversationCommand, 'metadata'>) => {
    if (atMs > endMs) return;
    await handler.execute(
      new HandleConversationCommand(id, { ...command, metadata: { now: iso(atMs) } } as ConversationCommand, `bench-${commands++}`),
    );
  };
  const started = Date.now();
  for (let i = 0; i < CONVERSATIONS; i++) {
    const id = `c-${i}`;
    const openedMs = dayStartMs + MINUTE + Math.round(i * spacing);
    const queueId = QUEUES[i % QUEUES.length];
    const agentId = `agent-${i % AGENTS}`;
    const waitMs = ((i * 7919) % 60) * SECOND;
    await run(id, openedMs, {
      type: 'OpenConversation',
      data: { conversationId: id, channel: 'live_chat', queueId, customerId: `cust-${i}`, priority: 0 },
    } as never);
    if (i % 20 === 7) {
      await run(id, openedMs + 30 * SECOND, { type: 'EndConversation', data: { by: 'customer' } } as never);
      continue;
    }
    await run(id, openedMs + waitMs, { type: 'PickConversation', data: { agentId } } as never);
    let holder = agentId;
    let tMs = openedMs + waitMs;
    if (i % 33 === 5) {
      tMs += 3 * MINUTE;
      await run(id, tMs, { type: 'TransferConversation', data: { agentId, toQueueId: QUEUES[(i + 1) % QUEUES.length] } } as never);
      holder = `agent-${(i + 1) % AGENTS}`;
      tMs += MINUTE;
      await run(id, tMs, { type: 'PickConversation', data: { agentId: holder } } as never);
    }
    tMs += 4 * MINUTE + ((i * 104729) % 120) * SECOND;
    await run(id, tMs, { type: 'EndConversation', data: { by: 'agent', agentId: holder } } as never);
    await run(id, tMs + MINUTE, { type: 'CloseSession', data: { agentId: holder } } as never);
    if (i % 10_000 === 9_999) console.log(`  ${i + 1} conversations written (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}

const load = (url: string, token: string): Promise<autocannon.Result> =>
  new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers: { authorization: `Bearer ${token}` } }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });

const main = async () => {
  const nowMs = Date.now();
  const dayStartMs = Date.parse(`${iso(nowMs).slice(0, 10)}T00:00:00.000Z`);
  if (nowMs - dayStartMs < 2 * 3_600_000)
    throw new Error('Run this more than two hours after midnight UTC: the day is spread over today so far');
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-kpi-bench-'));
  let service: ChildProcess | undefined;
  try {
    console.log(`Writing ${CONVERSATIONS} conversations and ${AGENTS} agents through the command handler (in memory)...`);
    const store = new InMemoryEventStore();
    await writeDay(store, dayStartMs, nowMs - MINUTE);
    const head = await store.headPosition();
    console.log(`Projecting ${head} events into ${dataDir}/read-models.sqlite...`);
    const database = await openReadModelDatabase({ kind: 'sqlite', filename: join(dataDir, 'read-models.sqlite') });
    await migrateToLatest(database);
    const projections = [new AgentsAndQueuesProjection(), new LiveKpisProjection(20_000)];
    const projectStarted = Date.now();
    for (let after = 0; after < head;) {
      const batch = await store.readAll({ after, maxCount: 2000 });
      await runInWriteTransaction(database, async (trx) => {
        for (const projection of projections) await projection.apply(trx, batch);
      });
      after = batch[batch.length - 1].position;
    }
    const rows = async (table: 'kpi_queue_facts' | 'kpi_agent_segments') =>
      Number(
        (
          await database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    console.log(
      `Projected in ${((Date.now() - projectStarted) / 1000).toFixed(0)} s: ${await rows('kpi_queue_facts')} queue facts, ${await rows('kpi_agent_segments')} agent segments`,
    );
    await database.destroy();

    service = await startService(PORT, dataDir, { KPI_TIME_ZONE: 'UTC' });
    const key = await readSigningKey(dataDir);
    if (!key) throw new Error(`No signing key in ${dataDir}`);
    const token = await issueToken(key, { sub: 'bench-supervisor', roles: ['supervisor'], ttlMs: 3_600_000 });
    const routes = [
      '/api/stats/queues?window=today',
      '/api/stats/queues?window=1h',
      '/api/stats/queues?window=15m',
      '/api/stats/queues/q-3?window=today',
      '/api/stats/agents?window=today&limit=100',
      '/api/stats/agents?window=today&limit=500',
      '/api/stats/agents?window=15m&limit=100',
    ];
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per route`);
    console.log('| route | requests/s | p50 ms | p99 ms | non-2xx |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const route of routes) {
      const result = await load(`http://127.0.0.1:${PORT}${route}`, token);
      console.log(
        `| \`${route}\` | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx} |`,
      );
    }
  } finally {
    await stopService(service);
    rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
