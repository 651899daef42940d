import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@lib/event-store';
import { migrateToLatest, openReadModelDatabase, rebuildReadModels } from '@lib/read-models';
import { replayReport } from '@lib/reporting';
import { loadOperatorCorrections, withEventCorrections } from '@lib/platform';
import { startApp, type JsonBody, type TestApp } from './support/start-app';

/**
 * A log that already holds an event no view can apply (recorded by a version that did not
 * validate its commands) must not stop the service's world for good: the event is read
 * corrected by every reader (deciders, views, rebuild, reports), while the log keeps it.
 */
const WITH_AUTOMATION = { TIMERS: 'on', ROUTING: 'on' };

const healthWhen = async (t: TestApp, done: (health: JsonBody) => boolean): Promise<JsonBody> => {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const health = await t.get('/health');
    if (done(health.body) || Date.now() > deadline) return health;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
const caughtUp = (body: JsonBody) =>
  body.checks.projections.every((p: JsonBody) => p.status !== 'ok' || p.position === body.checks.eventStore.headPosition) &&
  (body.status === 'ok' || body.checks.projections.some((p: JsonBody) => p.failure && !p.failure.transient));

/** Appends what an older version wrote, straight to the log (no decider in the way). */
const appendRaw = async (dataDir: string, stream: string, type: string, data: object): Promise<string> => {
  const store = new SqliteEventStore({ filename: join(dataDir, 'events.sqlite'), checkpointIntervalMs: 0 });
  try {
    const last = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    const id = randomUUID();
    await store.appendToStream(stream, [{ id, type, data }], { expectedRevision: last[0].revision });
    return id;
  } finally {
    await store.close();
  }
};

describe('poison events: a stored event no view can apply', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'poison-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const world = async () => {
    const t = await startApp({ store: 'sqlite', dataDir, provision: 'none' });
    expect((await t.post('/api/queues', { id: 'q1', mode: 'push' })).statusCode).toBe(201);
    expect((await t.post('/api/agents', { id: 'a1', capacity: 3, queueIds: ['q1'], presence: 'available' })).statusCode).toBe(201);
    return t;
  };

  it('the reported reproducer is refused today with 400 naming the field, and the log is unchanged', async () => {
    const t = await world();
    try {
      const head = await t.store.headPosition();
      const answer = await t.post('/api/agents', { id: 'a1', capacity: 3, queueIds: ['q1'], presence: null });
      expect(answer.statusCode).toBe(400);
      expect(answer.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field: 'presence' });
      expect(await t.store.headPosition()).toBe(head);
      const presence = await t.post('/api/agents/a1/presence', { presence: null });
      expect(presence.statusCode).toBe(400);
      expect(await t.store.headPosition()).toBe(head);
      expect((await healthWhen(t, caughtUp)).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('AgentPresenceChanged{presence:null} already in the log: the service starts healthy, routing works, the CLI rebuild and report replay it', async () => {
    const before = await world();
    await before.close();
    const badEventId = await appendRaw(dataDir, 'agent-a1', 'AgentPresenceChanged', {
      agentId: 'a1',
      at: '2026-03-02T09:00:00.000Z',
      by: { kind: 'system', id: 'administration' },
      reason: 'presence_set',
      presence: null,
      previous: 'available',
    });

    const t = await startApp({ store: 'sqlite', dataDir, provision: 'none', env: WITH_AUTOMATION });
    try {
      const health = await healthWhen(t, caughtUp);
      expect(health.statusCode).toBe(200);
      expect(health.body.checks.routing.status).not.toBe('failing');
      // The agent reads as it was: the null changed nothing.
      expect((await t.get('/api/agents/a1')).body).toMatchObject({ presence: 'available' });
      const board = await t.get(`/api/agents?minPosition=${health.body.checks.eventStore.headPosition}`);
      expect(board.body.items ?? board.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ agentId: 'a1', presence: 'available' })]),
      );
      // Routing still pushes to the agent whose stream holds the bad event.
      const opened = await t.post('/api/conversations', { id: 'c1', channel: 'sms', queueId: 'q1', customerId: 'cust-1' });
      expect(opened.statusCode).toBe(201);
      const deadline = Date.now() + 10_000;
      let conversation = await t.get('/api/conversations/c1');
      while (conversation.body.status !== 'active' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        conversation = await t.get('/api/conversations/c1');
      }
      expect(conversation.body).toMatchObject({ status: 'active', agentId: 'a1', assignment: 'awaiting_acceptance' });
      // Commands on the agent decide on the corrected state.
      expect((await t.post('/api/agents/a1/presence', { presence: 'busy' })).body).toMatchObject({ presence: 'busy' });
    } finally {
      await t.close();
    }

    // The rebuild and the report read the same corrected log.
    const store = withEventCorrections(new SqliteEventStore({ filename: join(dataDir, 'events.sqlite'), checkpointIntervalMs: 0 }), []);
    const database = await openReadModelDatabase({ kind: 'sqlite', filename: join(dataDir, 'rebuilt.sqlite') });
    try {
      await migrateToLatest(database);
      const rebuilt = await rebuildReadModels(store, database);
      expect(rebuilt.position).toBe(await store.headPosition());
      const agent = await database.db.selectFrom('agents').selectAll().where('agent_id', '=', 'a1').executeTakeFirstOrThrow();
      expect(agent.presence).toBe('busy');
      const report = await replayReport(store, { now: '2026-03-03T00:00:00.000Z' });
      expect(report).toBeDefined();
      // The log itself is unchanged; readers see which correction applied, and the original.
      const [corrected] = (await store.readStream('agent-a1')).filter((event) => event.id === badEventId);
      expect(corrected.data).toMatchObject({ presence: 'available', previous: 'available' });
      expect(corrected.metadata.correction).toMatchObject({ by: 'upcaster', originalData: expect.objectContaining({ presence: null }) });
    } finally {
      await database.destroy();
      await store.close();
    }
  });

  it('an event no built-in correction knows stops its view; health names it for routing; an operator correction repairs it without editing the log', async () => {
    const before = await world();
    await before.close();
    const badEventId = await appendRaw(dataDir, 'agent-a1', 'AgentCapacityChanged', {
      agentId: 'a1',
      at: '2026-03-02T09:00:00.000Z',
      by: { kind: 'system', id: 'administration' },
      reason: 'capacity_changed',
      capacity: 'lots',
      previous: 3,
    });

    const stuck = await startApp({ store: 'sqlite', dataDir, provision: 'none', env: WITH_AUTOMATION });
    try {
      const health = await healthWhen(stuck, (body) =>
        body.checks.projections.some((p: JsonBody) => p.name === 'agents_and_queues' && p.status === 'failing'),
      );
      expect(health.statusCode).toBe(503);
      expect(health.body.checks.projections.find((p: JsonBody) => p.name === 'agents_and_queues')).toMatchObject({
        status: 'failing',
        failure: { eventType: 'AgentCapacityChanged' },
      });
      expect(health.body.checks.routing).toMatchObject({ status: 'failing', stoppedViews: ['agents_and_queues'] });
      expect(health.body.checks.timers.status).not.toBe('failing');
    } finally {
      await stuck.close();
    }

    const correctionsFile = join(dataDir, 'event-corrections.json');
    writeFileSync(
      correctionsFile,
      JSON.stringify({
        corrections: [
          {
            eventId: badEventId,
            reason: 'ticket OPS-17: capacity was typed as text by a script; the agent has 5',
            data: {
              agentId: 'a1',
              at: '2026-03-02T09:00:00.000Z',
              by: { kind: 'system', id: 'administration' },
              reason: 'capacity_changed',
              capacity: 5,
              previous: 3,
            },
          },
        ],
      }),
    );
    const repaired = await startApp({
      store: 'sqlite',
      dataDir,
      provision: 'none',
      env: { ...WITH_AUTOMATION, EVENT_CORRECTIONS_FILE: correctionsFile },
    });
    try {
      const health = await healthWhen(repaired, (body) => body.status === 'ok' && caughtUp(body));
      expect(health.statusCode).toBe(200);
      expect(health.body.checks.routing.status).not.toBe('failing');
      expect((await repaired.get('/api/agents/a1')).body).toMatchObject({ capacity: 5 });
    } finally {
      await repaired.close();
    }
  });

  it('a corrections file that is named but malformed stops the start, naming the variable', () => {
    const file = join(dataDir, 'bad.json');
    writeFileSync(file, JSON.stringify({ corrections: [{ eventId: 'x', data: null, reason: 'r' }] }));
    expect(() => loadOperatorCorrections(file)).toThrow(/EVENT_CORRECTIONS_FILE.*data must be/);
    expect(() => loadOperatorCorrections(join(dataDir, 'missing.json'))).toThrow(/EVENT_CORRECTIONS_FILE.*does not exist/);
  });
});
