/**
 * Crash safety on the durable SQLite store: the service runs as its own process under
 * concurrent load (every kind of command, from several agents, customers and supervisors, with
 * timers and push routing on) and is killed with SIGKILL at moments a seeded random source
 * chooses, then started again on the same DATA_DIR while the load goes on. Afterwards:
 *
 * 1. every acknowledged command (2xx) is in its stream, at the revision and position its answer
 *    gave, written by that command, with the status it answered;
 * 2. no history is impossible: every conversation stream folds through the domain, each
 *    command's events being what decide() gives on the state before them, revisions contiguous
 *    from 0, each command applied once; every agent stream folds and never reserved past
 *    capacity without force;
 * 3. the views the projector kept through the kills equal a rebuild from the log;
 * 4. once the reconciler had its grace, every agent's capacity (the board, GET /api/agents, and
 *    its stream, GET /api/agents/:id) is what its conversations hold, and no conversation is
 *    claimed by two agents.
 *
 * CRASH_SEED (default below) and CRASH_KILLS (default 5) change the run; the seed is printed.
 * CRASH_KEEP_DATA=1 keeps the DATA_DIR (its path is printed) to look at afterwards.
 * Checks 1-3 read the log through the library (SqliteEventStore.readAll, page by page) and the
 * views through the read-model library; check 4 reads the API of a last process started with
 * TIMERS=off and ROUTING=off, so that nothing but the reconciler writes while it is checked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel, ConversationPolicy } from '@lib/domain';
import { SqliteEventStore, type RecordedEvent } from '@lib/event-store';
import { CrashClient, CrashableService } from './support/crash/crashable-service';
import { Load, type AgentSpec } from './support/crash/load';
import {
  expectedCapacity,
  foldAgent,
  foldConversation,
  readWholeLog,
  whereIsAck,
  type AgentFold,
  type ConversationFold,
  type ExpectedCapacity,
} from './support/crash/log-audit';
import { between, countFromEnv, seedFromEnv, seededRandom } from './support/crash/random';
import { compareViewsWithRebuild, type ViewsComparison } from './support/crash/views-vs-rebuild';
import { claimedAuthorization } from './support/test-principal';

const SEED = seedFromEnv(20_260_504);
const KILLS = countFromEnv('CRASH_KILLS', 5, 1, 100);
const PICK_QUEUE = 'crash-pick';
const PUSH_QUEUE = 'crash-push';
const AGENTS: AgentSpec[] = Array.from({ length: 6 }, (_, i) => ({
  id: `ag-${i}`,
  capacity: i % 2 === 0 ? 2 : 3,
  // The last agent serves only the pick queue: routing never offers it anything, and its picks
  // from the push queue are refused (AGENT.NOT_IN_QUEUE).
  queueIds: i === 5 ? [PICK_QUEUE] : [PICK_QUEUE, PUSH_QUEUE],
}));
const CUSTOMER_DISCONNECT_TIMEOUT_MS = 3_000;
const UNITS: Partial<Record<Channel, number>> = { voice: 2 };
const unitsOf = (channel: Channel) => UNITS[channel] ?? 1;
/** The service's default CUSTOMER_REVIVE_WINDOW (24h), which the decider's replay must use too. */
const POLICY: ConversationPolicy = { customerReviveWindowMs: 24 * 60 * 60 * 1000 };

/** Settings of every process under load: short timers, so that they fire (and race the kills) within the run. */
const LOAD_ENV = {
  EVENT_STORE: 'sqlite',
  TIMERS: 'on',
  ROUTING: 'on',
  ORPHAN_RESERVATION_GRACE: '2s',
  CAPACITY_RECONCILE_INTERVAL: '1s',
  CAPACITY_UNITS: 'voice=2',
  PUSH_RESERVATION_TIMEOUT: '4s',
  AGENT_DISCONNECT_TIMEOUT: '3s',
  CUSTOMER_DISCONNECT_TIMEOUT: `${CUSTOMER_DISCONNECT_TIMEOUT_MS}ms`,
  WAITING_INACTIVITY_TIMEOUT: '5s',
  AUTO_CLOSE_SWEEP_INTERVAL: '2s',
  AUTO_CLOSE_LIVE_CHAT: 'open=8s,wrap_up=6s',
  AUTO_CLOSE_VOICE: 'active=6s',
  ROUTING_INTERVAL: '1s',
};
/** The last process, checked at rest: only the reconciler writes (to agent streams). */
const VERIFY_ENV = { TIMERS: 'off', ROUTING: 'off' };

/**
 * No kill starts after this long in the load phase (a slow machine ends it early and fails it),
 * so that the phase ends well within its jest timeout and never runs on behind the next tests.
 * A kill and restart takes about 5-10 s on 2 cores (mostly the restart: the service compiles its
 * TypeScript on start), plus up to 3.5 s of load.
 */
const LOAD_PHASE_BUDGET_MS = 20_000 + KILLS * 16_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('crash safety: SIGKILL under load, restarted on the same DATA_DIR', () => {
  const began = Date.now();
  const random = seededRandom(SEED);
  let dataDir: string;
  let service: CrashableService;
  let client: CrashClient;
  let load: Load;
  let store: SqliteEventStore | undefined;
  let loadMs = 0;
  /** Set once the load phase ended as planned: the checks below have nothing to check otherwise. */
  let loadCompleted = false;
  const requireLoad = () => {
    if (!loadCompleted) throw new Error('the load phase did not complete (see the first failure): nothing to check');
  };
  const figures = {
    lost: NaN,
    impossibleHistories: NaN,
    capacityMismatches: NaN,
    viewDifferences: NaN,
    events: NaN,
    conversations: NaN,
    /** Reservations a kill orphaned between the agent's write and the conversation's, released by the reconciler. */
    orphansReleased: NaN,
    /** Conversation events written by the timers and by push routing. */
    timerEvents: NaN,
    routedPushes: NaN,
  };

  const openStore = () => (store ??= new SqliteEventStore({ filename: join(dataDir, 'events.sqlite'), checkpointIntervalMs: 0 }));

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'crash-'));
    process.stderr.write(`crash suite: seed=${SEED} (CRASH_SEED), kills=${KILLS} (CRASH_KILLS), DATA_DIR=${dataDir}\n`);
    service = new CrashableService({ ...LOAD_ENV, DATA_DIR: dataDir });
    // Every request signed as the agent or supervisor its body names (the key is the service's own, in DATA_DIR).
    client = new CrashClient(service, (_method, path, body) =>
      path.startsWith('/health') ? {} : claimedAuthorization(dataDir, path, body),
    );
    load = new Load(
      {
        seed: SEED,
        pickQueue: PICK_QUEUE,
        pushQueue: PUSH_QUEUE,
        agents: AGENTS,
        channels: [
          ['live_chat', 3],
          ['sms', 3],
          ['voice', 2],
          ['social', 1],
          ['record', 1],
        ],
        liveTarget: 24,
        customerWorkers: 3,
        workersPerAgent: 2,
        maxPauseMs: 25,
        maxStepsPerWorker: 20_000,
      },
      client,
      service,
    );
  });

  afterAll(async () => {
    service.abort();
    await load.stop().catch(() => undefined);
    await service.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    const acks = client.acks;
    process.stderr.write(
      `crash suite: seed=${SEED}, kills=${service.kills}, commands acknowledged=${acks.length} ` +
        `(${acks.filter((a) => a.replayed).length} replayed, ${acks.filter((a) => a.retryAfterUnknown).length} after an unknown outcome), ` +
        `unknown outcomes=${load.unknownOutcomes} (${load.retriesAfterUnknown} sent again with their key), ` +
        `orphan reservations released=${figures.orphansReleased}, timer events=${figures.timerEvents}, routed pushes=${figures.routedPushes}, lost=${figures.lost}, impossible histories=${figures.impossibleHistories}, ` +
        `capacity mismatches=${figures.capacityMismatches}, view differences=${figures.viewDifferences}, ` +
        `events=${figures.events}, conversations=${figures.conversations}, load ${(loadMs / 1000).toFixed(1)} s, ` +
        `starts ${(service.startMs / 1000).toFixed(1)} s, total ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
    );
    if (process.env.CRASH_KEEP_DATA) process.stderr.write(`crash suite: DATA_DIR kept at ${dataDir}\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    `keeps answering under load through ${KILLS} SIGKILLs at random moments, each followed by a restart on the same DATA_DIR`,
    async () => {
      await service.start();
      const setup = async (action: string, path: string, body: unknown, stream: string) => {
        const outcome = await client.command({ worker: 'setup', action, path, body, stream });
        if (outcome.kind !== 'answered' || outcome.statusCode >= 300)
          throw new Error(`${action} ${JSON.stringify(body)}: ${JSON.stringify(outcome)}`);
      };
      await setup('define-queue', '/api/queues', { id: PICK_QUEUE, mode: 'pick' }, `queue-${PICK_QUEUE}`);
      await setup('define-queue', '/api/queues', { id: PUSH_QUEUE, mode: 'push' }, `queue-${PUSH_QUEUE}`);
      for (const agent of AGENTS) {
        await setup('register-agent', '/api/agents', { ...agent, presence: 'available' }, `agent-${agent.id}`);
      }

      const loadBegan = Date.now();
      load.start();
      try {
        for (let kill = 1; kill <= KILLS; kill++) {
          if (Date.now() - loadBegan > LOAD_PHASE_BUDGET_MS) {
            throw new Error(
              `only ${kill - 1} of ${KILLS} kills within ${LOAD_PHASE_BUDGET_MS / 1000} s: process starts took ${(service.startMs / 1000).toFixed(1)} s`,
            );
          }
          // Sometimes just after the restart (projector, reconciler and router catching up), sometimes later.
          await sleep(between(random, kill === 1 ? 1_500 : 200, 3_500));
          await service.kill();
          await service.start();
        }
        await sleep(1_500);
      } catch (error) {
        service.abort();
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${service.outputTail()}`);
      } finally {
        await load.stop();
        loadMs = Date.now() - loadBegan;
      }
      loadCompleted = true;

      expect(service.kills).toBe(KILLS);
      const byAction = new Map<string, number>();
      for (const ack of client.acks) byAction.set(ack.action, (byAction.get(ack.action) ?? 0) + 1);
      process.stderr.write(
        `crash suite: acknowledged by action: ${[...byAction]
          .sort()
          .map(([action, n]) => `${action}=${n}`)
          .join(', ')}\n` +
          `crash suite: answers: ${[...client.tally]
            .filter(([label]) => !/ 20[01]$/.test(label))
            .sort()
            .map(([label, n]) => `${label}=${n}`)
            .join(', ')}\n`,
      );
      // The load really ran between the kills: commands of every main kind were acknowledged.
      expect(client.acks.length).toBeGreaterThan(200);
      for (const action of [
        'open',
        'pick',
        'assign-forced',
        'accept',
        'end-by-agent',
        'close-session',
        'customer-message',
        'monitor',
        'presence',
      ]) {
        expect({ action, acknowledged: (byAction.get(action) ?? 0) > 0 }).toEqual({ action, acknowledged: true });
      }
      // A 5xx is never the answer to a command (a refusal is 4xx; a cut connection is no answer).
      const serverErrors = [...client.tally].filter(([label]) => / 5\d\d/.test(label));
      expect(serverErrors).toEqual([]);
    },
    LOAD_PHASE_BUDGET_MS + 80_000,
  );

  it('once the reconciler had its grace, every agent holds exactly the capacity of the conversations it holds', async () => {
    requireLoad();
    // A last start with timers and routing off: nothing but the reconciler writes from here on.
    await service.stop();
    await service.start(VERIFY_ENV);
    const log = await readWholeLog(openStore());
    const conversations = [...log.streams]
      .filter(([stream]) => stream.startsWith('conversation-'))
      .map(([stream, events]) => foldConversation(stream, events, POLICY, { customerDisconnectTimeoutMs: CUSTOMER_DISCONNECT_TIMEOUT_MS }));
    const expected = expectedCapacity(
      AGENTS.map((a) => a.id),
      conversations,
      unitsOf,
    );

    // Grace (2s) + reconcile interval (1s) + the views following: bounded at 20 s.
    const deadline = Date.now() + 20_000;
    let mismatches: string[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      mismatches = await capacityMismatches(client, expected, await openStore().headPosition());
      if (mismatches.length === 0 || Date.now() > deadline) break;
      await sleep(250);
    }
    figures.capacityMismatches = new Set(mismatches.map((line) => line.split(':')[0])).size;
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('the views kept through the kills equal a rebuild from the log', async () => {
    requireLoad();
    // Every projection at the log's head, twice in a row with the same head: nothing is in flight.
    let previous = -1;
    const deadline = Date.now() + 20_000;
    for (let attempt = 0; attempt < 400; attempt++) {
      const health = await client.get('/health');
      const head: number | undefined = health?.body?.checks?.eventStore?.headPosition;
      const positions: number[] = (health?.body?.checks?.projections ?? []).map((p: { position: number }) => p.position);
      const caughtUp = health?.statusCode === 200 && head !== undefined && positions.length > 0 && positions.every((p) => p === head);
      if (caughtUp && head === previous) break;
      previous = caughtUp ? (head as number) : -1;
      if (Date.now() > deadline) throw new Error(`the views did not catch up with the log within 20 s: ${JSON.stringify(health?.body)}`);
      await sleep(caughtUp ? 300 : 100);
    }
    await service.stop();

    const head = await openStore().headPosition();
    const comparison: ViewsComparison = await compareViewsWithRebuild(join(dataDir, 'read-models.sqlite'), openStore(), dataDir);
    figures.viewDifferences = comparison.differences.length;
    expect(comparison.checkpoints).toEqual(Object.fromEntries(Object.keys(comparison.checkpoints).map((name) => [name, head])));
    expect(Object.keys(comparison.checkpoints).length).toBeGreaterThan(0);
    expect(comparison.differences).toEqual([]);
    expect(comparison.rows.conversation_views).toBeGreaterThan(0);
  }, 60_000);

  describe('the log', () => {
    let conversations: Map<string, ConversationFold>;
    let agents: Map<string, AgentFold>;
    let streams: Map<string, RecordedEvent[]>;

    beforeAll(async () => {
      if (!loadCompleted) return;
      const log = await readWholeLog(openStore());
      streams = log.streams;
      figures.events = log.events;
      conversations = new Map(
        [...log.streams]
          .filter(([stream]) => stream.startsWith('conversation-'))
          .map(([stream, events]) => [
            stream,
            foldConversation(stream, events, POLICY, { customerDisconnectTimeoutMs: CUSTOMER_DISCONNECT_TIMEOUT_MS }),
          ]),
      );
      agents = new Map(
        [...log.streams].filter(([stream]) => stream.startsWith('agent-')).map(([stream, events]) => [stream, foldAgent(stream, events)]),
      );
      figures.conversations = conversations.size;
      const all = [...log.streams.values()].flat();
      const actorOf = (event: { data: unknown }) => (event.data as { by?: { kind: string; id: string } }).by;
      figures.orphansReleased = all.filter(
        (event) => (event.data as { reason?: string }).reason === 'orphan_reservation_reconciled',
      ).length;
      figures.timerEvents = all.filter(
        (event) => event.streamName.startsWith('conversation-') && actorOf(event)?.kind === 'system' && actorOf(event)?.id !== 'routing',
      ).length;
      figures.routedPushes = all.filter((event) => event.type === 'ConversationPushedToAgent' && actorOf(event)?.id === 'routing').length;
    });

    it('has every acknowledged command where its answer said: its stream, revision, position, command and status', () => {
      requireLoad();
      const lost = client.acks
        .map((ack) => ({ ack, problem: whereIsAck(ack, streams, conversations, agents) }))
        .filter((entry) => entry.problem !== undefined)
        .map(
          ({ ack, problem }) =>
            `${ack.worker} ${ack.action} ${ack.path} (process ${ack.generation}${ack.replayed ? ', replayed' : ''}): ${problem}`,
        );
      figures.lost = lost.length;
      expect(client.acks.length).toBeGreaterThan(0);
      expect(lost.slice(0, 20)).toEqual([]);
    });

    it('holds no impossible history: every conversation re-decides through the domain, every agent folds within capacity', () => {
      requireLoad();
      const impossible = [...conversations.values(), ...agents.values()].filter((fold) => fold.problems.length > 0);
      figures.impossibleHistories = impossible.length;
      expect(impossible.flatMap((fold) => fold.problems.slice(0, 3)).slice(0, 20)).toEqual([]);
      expect(conversations.size).toBeGreaterThan(10);
      // Whoever holds a conversation, the agents' streams agree on one holder at most.
      const claimedBy = new Map<string, string[]>();
      for (const fold of agents.values()) {
        if (fold.state.status !== 'registered') continue;
        for (const conversationId of Object.keys(fold.state.claims))
          claimedBy.set(conversationId, [...(claimedBy.get(conversationId) ?? []), fold.agentId]);
      }
      expect([...claimedBy].filter(([, holders]) => holders.length > 1)).toEqual([]);
    });
  });
});

/**
 * Where the capacity board (GET /api/agents, read once the views include `head`) and each
 * agent's stream (GET /api/agents/:id) differ from what the conversations hold. Empty when
 * everything matches.
 */
async function capacityMismatches(client: CrashClient, expected: ReadonlyMap<string, ExpectedCapacity>, head: number): Promise<string[]> {
  const mismatches: string[] = [];
  const board = new Map<string, { used: number; blocked: number; claims: Array<{ conversationId: string }> }>();
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const query = `minPosition=${head}&limit=100${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const answer = await client.get(`/api/agents?${query}`);
    if (answer?.statusCode !== 200) return [`board: GET /api/agents answered ${answer?.statusCode ?? 'nothing'}`];
    for (const row of answer.body.items) board.set(row.agentId, row);
    cursor = answer.body.nextCursor;
    if (cursor === undefined) break;
  }
  const holders = new Map<string, string[]>();
  for (const [agentId, want] of expected) {
    const wanted = JSON.stringify(want);
    const row = board.get(agentId);
    const onBoard = row && JSON.stringify({ used: row.used, blocked: row.blocked, claims: row.claims.map((c) => c.conversationId).sort() });
    if (onBoard !== wanted) mismatches.push(`${agentId}: the board says ${onBoard}, its conversations ${wanted}`);
    const answer = await client.get(`/api/agents/${agentId}`);
    const now = answer?.body;
    const fromStream =
      now &&
      JSON.stringify({
        used: now.used,
        blocked: now.blocked,
        claims: (now.claims as Array<{ conversationId: string }>).map((c) => c.conversationId).sort(),
      });
    if (fromStream !== wanted) mismatches.push(`${agentId}: its stream says ${fromStream}, its conversations ${wanted}`);
    for (const claim of (now?.claims ?? []) as Array<{ conversationId: string }>) {
      holders.set(claim.conversationId, [...(holders.get(claim.conversationId) ?? []), agentId]);
    }
  }
  for (const [conversationId, agentIds] of holders) {
    if (agentIds.length > 1) mismatches.push(`${conversationId}: claimed by ${agentIds.join(' and ')}`);
  }
  return mismatches;
}
