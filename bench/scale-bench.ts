import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CAPACITY_POLICY, DEFAULT_CONVERSATION_POLICY, system, type ConversationCommand } from '@lib/domain';
import {
  AgentLedger,
  CapacityCoordinator,
  DEFAULT_COMMAND_RETRY,
  DEFAULT_ROUTING_BATCH_SIZE,
  HandleConversationCommand,
  HandleConversationCommandHandler,
  PushRouter,
  QueueDirectory,
  conversationLoader,
} from '@lib/conversation-lifecycle';
import { InMemoryEventStore, SqliteEventStore, type EventStore } from '@lib/event-store';
import { WorkDistributionQueries, migrateToLatest, openReadModelDatabase, rebuildReadModels } from '@lib/read-models';
import { EVENTS_FILE, issueToken, loadOrCreateSigningKey, type Role } from '@lib/platform';
import { exportJWK } from 'jose';
import { startService, stopService } from './service';

/**
 * The views at scale (issue 19): BENCH_SCALE_AGENTS (10,000) agents of capacity 3, of whom
 * BENCH_SCALE_PUSH_AGENTS (5,000) serve push queues (p-0..p-9) and the rest pick queues
 * (q-0..q-9); BENCH_SCALE_CONVERSATIONS (100,000) open SMS conversations, of which
 * BENCH_SCALE_PUSH_WAITING (50,000) wait in the push queues and the rest in the pick queues,
 * one in five of those picked (two per pick agent), so My work items has rows.
 *
 * The world is written by the service's own command handler into memory, copied in log order
 * into DATA_DIR/events.sqlite (the service's own store) and folded by the service's own rebuild
 * into DATA_DIR/read-models.sqlite with every checkpoint at the log's end, so the service
 * starts on it with nothing left to project. ROUTING=off, so the push queues keep their 50,000
 * waiting items for the routing pass measured in-process at the end.
 *
 * Measured, each route BENCH_SECONDS (10) with BENCH_CONNECTIONS (10) clients, beside a bare
 * Fastify GET of the same run (bench/bare-server.ts, with and without the token check):
 * - the read routes' p50/p99 and requests/s, and each p99 against the bare GET's;
 * - projection lag: BENCH_SCALE_RATE (1,000) opens/s for BENCH_SCALE_LAG_SECONDS (20), from each
 *   answer (sent after the append committed) until every projection's checkpoint is at or past
 *   its position (the checkpoint table polled every millisecond);
 * - the service's resident memory (VmRSS) after start and after the loads;
 * - one routing pass over the push queues (in-process, on the same files).
 * BENCH_CPU_PROF=<dir> runs the service under `node --cpu-prof` into that directory;
 * BENCH_SCALE_DATA_DIR and BENCH_SCALE_ONLY are for profiling one route on a kept world.
 */
const AGENTS = Number(process.env.BENCH_SCALE_AGENTS ?? 10_000);
const PUSH_AGENTS = Number(process.env.BENCH_SCALE_PUSH_AGENTS ?? 5_000);
const CONVERSATIONS = Number(process.env.BENCH_SCALE_CONVERSATIONS ?? 100_000);
const PUSH_WAITING = Number(process.env.BENCH_SCALE_PUSH_WAITING ?? 50_000);
const RATE = Number(process.env.BENCH_SCALE_RATE ?? 1_000);
const LAG_SECONDS = Number(process.env.BENCH_SCALE_LAG_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Enough clients for RATE: each waits for its open's durable commit before sending the next. */
const LAG_CONNECTIONS = Number(process.env.BENCH_SCALE_LAG_CONNECTIONS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
/** Development: build the world in this directory once and keep it (later runs start on it as the last left it). */
const KEPT_DATA_DIR = process.env.BENCH_SCALE_DATA_DIR;
/** Development: only the routes whose name contains this (and the bare ones); no lag, no routing pass. */
const ONLY = process.env.BENCH_SCALE_ONLY;
const PORT = 3331;
const BARE_PORT = 3332;
const QUEUE_COUNT = 10;
const PUSH_QUEUES = Array.from({ length: QUEUE_COUNT }, (_, i) => `p-${i}`);
const PICK_QUEUES = Array.from({ length: QUEUE_COUNT }, (_, i) => `q-${i}`);
const PICK_AGENTS = AGENTS - PUSH_AGENTS;
const SECOND = 1000;
const HOUR = 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString();
const agentId = (i: number) => `agent-${i}`;
/** Pick agent t of pick queue r (pick agents serve q-((i - PUSH_AGENTS) % 10)). */
const pickAgentOf = (queue: number, t: number) => agentId(PUSH_AGENTS + queue + QUEUE_COUNT * (t % Math.floor(PICK_AGENTS / QUEUE_COUNT)));

/** Writes the world through the service's own command handler, opens spread over the last three hours. */
async function writeWorld(store: EventStore, nowMs: number): Promise<void> {
  const by = system('bench');
  const startMs = nowMs - 3 * HOUR;
  const queues = new QueueDirectory(store);
  const ledger = new AgentLedger(store, DEFAULT_CAPACITY_POLICY);
  for (const queueId of PUSH_QUEUES) {
    await queues.define(queueId, { name: queueId, mode: 'push', priority: 0, method: 'highest_free_capacity' }, by, iso(startMs));
  }
  for (const queueId of PICK_QUEUES) {
    await queues.define(queueId, { name: queueId, mode: 'pick', priority: 0, method: 'highest_free_capacity' }, by, iso(startMs));
  }
  for (let i = 0; i < AGENTS; i++) {
    const queueIds =
      i < PUSH_AGENTS ? [PUSH_QUEUES[i % QUEUE_COUNT], PUSH_QUEUES[(i + 3) % QUEUE_COUNT]] : [PICK_QUEUES[(i - PUSH_AGENTS) % QUEUE_COUNT]];
    await ledger.execute(agentId(i), {
      type: 'RegisterAgent',
      data: { agentId: agentId(i), capacity: 3, queueIds, presence: 'available', by },
      metadata: { now: iso(startMs) },
    });
  }
  const handler = new HandleConversationCommandHandler(
    store,
    DEFAULT_CONVERSATION_POLICY,
    DEFAULT_COMMAND_RETRY,
    new CapacityCoordinator(ledger),
    queues,
    ledger,
  );
  let commands = 0;
  const run = (id: string, atMs: number, command: Omit<ConversationCommand, 'metadata'>) =>
    handler.execute(
      new HandleConversationCommand(id, { ...command, metadata: { now: iso(atMs) } } as ConversationCommand, `bench-${commands++}`),
    );
  const spacing = (2.5 * HOUR) / CONVERSATIONS;
  const picks = new Array<number>(QUEUE_COUNT).fill(0);
  const started = Date.now();
  for (let i = 0; i < CONVERSATIONS; i++) {
    const id = `c-${i}`;
    const openedMs = startMs + 10 * SECOND + Math.round(i * spacing);
    const queue = i % QUEUE_COUNT;
    const pushed = i < PUSH_WAITING;
    await run(id, openedMs, {
      type: 'OpenConversation',
      data: {
        conversationId: id,
        channel: 'sms',
        queueId: pushed ? PUSH_QUEUES[queue] : PICK_QUEUES[queue],
        customerId: `cust-${i}`,
        priority: i % 7 === 0 ? 1 : 0,
      },
    } as never);
    if (!pushed && Math.floor(i / QUEUE_COUNT) % 5 === 0 && PICK_AGENTS >= QUEUE_COUNT) {
      await run(id, openedMs + 30 * SECOND, { type: 'PickConversation', data: { agentId: pickAgentOf(queue, picks[queue]++) } } as never);
    }
    if (i % 20_000 === 19_999) console.log(`  ${i + 1} conversations written (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}

/**
 * Copies the log in its order into the SQLite store: a page of appends submitted in one turn is
 * one group commit (one transaction, in submission order), so positions stay those of memory.
 */
async function copyLog(from: InMemoryEventStore, to: SqliteEventStore): Promise<number> {
  let after = 0;
  for (;;) {
    const page = await from.readAll({ after, maxCount: 5_000 });
    if (page.length === 0) return after;
    await Promise.all(
      page.map((event) =>
        to.appendToStream(event.streamName, [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }], {
          expectedRevision: event.revision - 1,
        }),
      ),
    );
    after = page[page.length - 1].position;
  }
}

async function buildWorld(dataDir: string): Promise<number> {
  const memory = new InMemoryEventStore();
  let started = Date.now();
  console.log(`Writing ${CONVERSATIONS} conversations and ${AGENTS} agents through the command handler (in memory)...`);
  await writeWorld(memory, Date.now());
  console.log(`  written in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  started = Date.now();
  const store = new SqliteEventStore({ filename: join(dataDir, EVENTS_FILE), checkpointIntervalMs: 0 });
  const head = await copyLog(memory, store);
  console.log(`Copied ${head} events into ${EVENTS_FILE} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  started = Date.now();
  const database = await openReadModelDatabase({ kind: 'sqlite', filename: join(dataDir, 'read-models.sqlite') });
  try {
    await migrateToLatest(database);
    const result = await rebuildReadModels(store, database, { batchSize: 2_000 });
    console.log(`Folded the views up to position ${result.position} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await database.destroy();
    await store.close();
  }
  return head;
}

const residentMb = (pid: number | undefined): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
};

const startBareServer = (publicJwk: object): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsconfig-paths/register', 'dist/bench/bare-server.js'], {
      env: { ...process.env, TS_NODE_BASEURL: './dist', PORT: String(BARE_PORT), BENCH_PUBLIC_JWK: JSON.stringify(publicJwk) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => reject(new Error('the bare server did not start in 30 s')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
  });

/**
 * The service as bench/service.ts starts it, under `node --cpu-prof` (not allowed in
 * NODE_OPTIONS); the profiles (main thread and projector thread) are written when it exits.
 */
const startProfiledService = (dataDir: string, profileDir: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '-r', 'tsconfig-paths/register', 'dist/apps/api/src/main.js'],
      {
        env: {
          ...process.env,
          TS_NODE_BASEURL: './dist',
          PORT: String(PORT),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'log',
          SHUTDOWN_DRAIN: '0',
          RATE_LIMIT_PER_MINUTE: '1000000',
          ROUTING: 'off',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const timer = setTimeout(() => reject(new Error('the service did not start in 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });

const load = (options: autocannon.Options): Promise<autocannon.Result> =>
  new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * Opens at RATE per second into a pick queue (so no routing is triggered) and times, for each,
 * from its answer until the views' lowest checkpoint reaches its position.
 */
async function projectionLag(
  dataDir: string,
  channelToken: string,
): Promise<{ rate: number; p50: number; p99: number; max: number; n: number }> {
  const views = new Database(join(dataDir, 'read-models.sqlite'), { readonly: true, fileMustExist: true });
  const lowest = views.prepare('SELECT MIN(position) AS position FROM projection_checkpoints');
  const reached: Array<{ at: number; position: number }> = [];
  let last = 0;
  const poll = () => {
    const position = Number((lowest.get() as { position: number }).position);
    if (position > last) {
      last = position;
      reached.push({ at: performance.now(), position });
    }
  };
  const poller = setInterval(poll, 1);
  const answered: Array<{ at: number; position: number }> = [];
  let n = 0;
  try {
    const result = await load({
      url: `http://127.0.0.1:${PORT}`,
      connections: LAG_CONNECTIONS,
      duration: LAG_SECONDS,
      overallRate: RATE,
      requests: [
        {
          method: 'POST',
          path: '/api/conversations',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${channelToken}` },
          setupRequest: (request) => {
            const i = n++;
            return {
              ...request,
              body: JSON.stringify({ id: `lag-${i}`, channel: 'sms', queueId: PICK_QUEUES[i % QUEUE_COUNT], customerId: `cust-lag-${i}` }),
            };
          },
          onResponse: (status, body) => {
            if (status < 300) answered.push({ at: performance.now(), position: (JSON.parse(body) as { position: number }).position });
          },
        },
      ],
    });
    const head = Math.max(...answered.map((a) => a.position));
    for (const deadline = Date.now() + 10_000; last < head && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
    poll();
    const lags: number[] = [];
    let k = 0;
    for (const answer of [...answered].sort((a, b) => a.position - b.position)) {
      while (k < reached.length && reached[k].position < answer.position) k++;
      if (k === reached.length) throw new Error(`the views never reached position ${answer.position}`);
      // Seen before its answer arrived (the views were that quick): no lag.
      lags.push(Math.max(0, reached[k].at - answer.at));
    }
    lags.sort((a, b) => a - b);
    if (result.non2xx > 0) console.warn(`  ${result.non2xx} opens were refused`);
    return {
      rate: answered.length / LAG_SECONDS,
      p50: percentile(lags, 50),
      p99: percentile(lags, 99),
      max: lags[lags.length - 1],
      n: lags.length,
    };
  } finally {
    clearInterval(poller);
    views.close();
  }
}

/** One routing pass as the service runs it (PushRouter, the command handler, the views), in this process. */
async function routingPass(dataDir: string): Promise<void> {
  const store = new SqliteEventStore({ filename: join(dataDir, EVENTS_FILE) });
  const database = await openReadModelDatabase({ kind: 'sqlite', filename: join(dataDir, 'read-models.sqlite') });
  try {
    const ledger = new AgentLedger(store, DEFAULT_CAPACITY_POLICY);
    const queues = new QueueDirectory(store);
    const handler = new HandleConversationCommandHandler(
      store,
      DEFAULT_CONVERSATION_POLICY,
      DEFAULT_COMMAND_RETRY,
      new CapacityCoordinator(ledger),
      queues,
      ledger,
    );
    const views = new WorkDistributionQueries(database);
    const clock = { now: () => new Date() };
    const router = new PushRouter(handler, views, clock, DEFAULT_CAPACITY_POLICY, conversationLoader(store));
    const queueIds = (await views.pushQueues()).map((queue) => queue.queueId);
    let started = performance.now();
    const agents = await views.agentsServing(queueIds, clock.now().toISOString());
    const agentsMs = performance.now() - started;
    started = performance.now();
    const items = await views.openItems(queueIds, DEFAULT_ROUTING_BATCH_SIZE);
    const itemsMs = performance.now() - started;
    started = performance.now();
    const pass = await router.runOnce();
    const passMs = performance.now() - started;
    console.log(
      `\nRouting pass over ${queueIds.length} push queues (${PUSH_WAITING} waiting items, ${agents.length} agents serving them): ` +
        `${passMs.toFixed(0)} ms, ${pass.offered} offered, ${pass.refused} refused, ${pass.considered} considered ` +
        `(a pass takes at most ${DEFAULT_ROUTING_BATCH_SIZE} items; its reads alone: agents ${agentsMs.toFixed(0)} ms, ${items.length} items ${itemsMs.toFixed(0)} ms)`,
    );
  } finally {
    await database.destroy();
    await store.close();
  }
}

const main = async () => {
  const dataDir = KEPT_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'cw-scale-bench-'));
  let service: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  try {
    if (existsSync(join(dataDir, EVENTS_FILE))) console.log(`Reusing the world in ${dataDir}`);
    else await buildWorld(dataDir);
    const key = await loadOrCreateSigningKey(dataDir);
    const token = (sub: string, role: Role) => issueToken(key, { sub, roles: [role], ttlMs: 3_600_000 });
    const supervisor = await token('bench-supervisor', 'supervisor');
    const pickAgent = pickAgentOf(0, 0);
    const agent = await token(pickAgent, 'agent');
    const channel = await token('bench-channel', 'channel');
    bare = await startBareServer(await exportJWK(key.publicKey));

    const startedAt = Date.now();
    service = CPU_PROFILE_DIR
      ? await startProfiledService(dataDir, CPU_PROFILE_DIR)
      : await startService(PORT, dataDir, { ROUTING: 'off' });
    console.log(`The service started on the world in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 3_000));
    const rssStarted = residentMb(service.pid);

    const base = `http://127.0.0.1:${PORT}`;
    const withToken = (bearer: string) => ({ authorization: `Bearer ${bearer}` });
    const randomConversation = (request: autocannon.Request) => ({
      ...request,
      path: `/api/conversations/c-${Math.floor(Math.random() * CONVERSATIONS)}`,
    });
    const routes: Array<[string, autocannon.Options]> = [
      ['bare GET (no token)', { url: `http://127.0.0.1:${BARE_PORT}/bare/c-1` }],
      ['bare GET + token verified', { url: `http://127.0.0.1:${BARE_PORT}/bare-auth/c-1`, headers: withToken(supervisor) }],
      // The service's own floor: a route with no token, no read, only the framework around it.
      ["the service's cheapest GET (`/health/live`, no token)", { url: `${base}/health/live` }],
      [
        `My work items (\`/api/agents/${pickAgent}/work-items\`, agent)`,
        { url: `${base}/api/agents/${pickAgent}/work-items`, headers: withToken(agent) },
      ],
      [
        `a queue's work items (\`/api/queues/${PICK_QUEUES[0]}/work-items\`, agent serving it)`,
        { url: `${base}/api/queues/${PICK_QUEUES[0]}/work-items`, headers: withToken(agent) },
      ],
      [
        `a push queue's work items (\`/api/queues/${PUSH_QUEUES[0]}/work-items\`, supervisor)`,
        { url: `${base}/api/queues/${PUSH_QUEUES[0]}/work-items`, headers: withToken(supervisor) },
      ],
      ['capacity board, first page (`/api/agents`, supervisor)', { url: `${base}/api/agents`, headers: withToken(supervisor) }],
      [
        '`GET /api/conversations/:id`, random ids (supervisor)',
        {
          url: base,
          requests: [{ method: 'GET', path: '/api/conversations/c-0', headers: withToken(supervisor), setupRequest: randomConversation }],
        },
      ],
    ];
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per route (ratios: this row's p99 over the bare GET's of this run)`);
    console.log('| route | requests/s | p50 ms | p99 ms | p99 / bare GET + token p99 | p99 / bare GET p99 | non-2xx |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const yardsticks: number[] = [];
    for (const [name, options] of routes) {
      if (ONLY !== undefined && !name.startsWith('bare') && !name.includes(ONLY)) continue;
      const result = await load(options);
      const p99 = result.latency.p99;
      if (name.startsWith('bare')) yardsticks.unshift(p99);
      const ratios = name.startsWith('bare') ? ['', ''] : yardsticks.map((bareP99) => (p99 / bareP99).toFixed(1));
      console.log(
        `| ${name} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${p99} | ${ratios.join(' | ')} | ${result.non2xx} |`,
      );
    }
    await stopService(bare);
    bare = undefined;
    if (ONLY !== undefined) return;

    const lag = await projectionLag(dataDir, channel);
    console.log(
      `\nProjection lag at ${lag.rate.toFixed(0)} opens/s for ${LAG_SECONDS} s (${lag.n} commands): ` +
        `p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms`,
    );
    const rssLoaded = residentMb(service.pid);
    console.log(`Service resident memory (VmRSS): ${rssStarted} MB after start on the world, ${rssLoaded} MB after the loads`);
    await stopService(service);
    service = undefined;

    await routingPass(dataDir);
  } finally {
    await stopService(service);
    await stopService(bare);
    if (KEPT_DATA_DIR === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
