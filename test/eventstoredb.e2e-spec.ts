/**
 * The whole service in its production shape: events in EventStoreDB (the in-process test server,
 * spoken to by the real client over gRPC), views in PostgreSQL (a throwaway schema of
 * TEST_POSTGRES_URL, default postgres://127.0.0.1:5432/test). Without PostgreSQL the views fall
 * back to SQLite under DATA_DIR, with one line saying so; REQUIRE_POSTGRES=1 makes that a failure.
 */
import type { ClosedWorkItem, MyWorkItem, QueueWorkItem } from '@lib/read-models';
import { InProcessEventStoreDbServer } from '@lib/event-store/eventstoredb/testing/in-process-eventstoredb-server';
import { DEFAULT_TEST_POSTGRES_URL, probePostgres, redactUrl } from '@lib/read-models/testing/postgres-probe';
import { startApp, type Answer, type TestApp } from './support/start-app';
import { createThrowawaySchema, type ThrowawaySchema } from './support/throwaway-postgres-schema';
import { ViewDriver } from './support/view-driver';

const postgresUrl = process.env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
const probe = probePostgres(postgresUrl);

if (!probe.reachable && process.env.REQUIRE_POSTGRES === '1') {
  describe('the service on EventStoreDB with views in PostgreSQL', () => {
    it('needs PostgreSQL (REQUIRE_POSTGRES=1)', () => {
      throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL cannot be reached at ${redactUrl(postgresUrl)} (${probe.reason})`);
    });
  });
} else {
  if (!probe.reachable) {
    console.warn(`EventStoreDB e2e keeps its views in SQLite: cannot reach PostgreSQL at ${redactUrl(postgresUrl)} (${probe.reason})`);
  }
  describe(`the service on EventStoreDB with views in ${probe.reachable ? 'PostgreSQL' : 'SQLite'}`, () => {
    let server: InProcessEventStoreDbServer;
    let schema: ThrowawaySchema | undefined;
    let t: TestApp;
    let d: ViewDriver;

    beforeAll(async () => {
      server = await InProcessEventStoreDbServer.start();
      if (probe.reachable) schema = await createThrowawaySchema(postgresUrl, 'esdb_e2e');
    });

    afterAll(async () => {
      await server.stop();
      await schema?.drop();
    });

    beforeEach(async () => {
      await server.restart();
      t = await startApp({
        store: 'eventstoredb',
        esdbConnectionString: server.connectionString,
        env: schema ? { READ_MODELS_URL: schema.readModelsUrl } : {},
      });
      d = new ViewDriver(t);
    });

    afterEach(async () => {
      await server.restart();
      await t.close();
    });

    it('opens, picks, ends and closes a conversation, and reads it back from the views and its history', async () => {
      await d.open('esdb-1', { channel: 'sms', queueId: 'esdb-support' });
      expect((await d.view<QueueWorkItem>('/api/queues/esdb-support/work-items')).items.map((i) => i.conversationId)).toEqual(['esdb-1']);

      await d.pick('esdb-1', 'esdb-ann');
      expect((await d.view<MyWorkItem>('/api/agents/esdb-ann/work-items')).items).toEqual([
        expect.objectContaining({ conversationId: 'esdb-1', status: 'active' }),
      ]);

      d.advance(60_000);
      await d.endByAgent('esdb-1', 'esdb-ann');
      d.advance(60_000);
      const closedAt = d.now;
      const closed = await d.closeSession('esdb-1', 'esdb-ann', 'closed');

      expect((await d.view<ClosedWorkItem>('/api/agents/esdb-ann/closed-work-items')).items).toEqual([
        {
          conversationId: 'esdb-1',
          agentId: 'esdb-ann',
          channel: 'sms',
          queueId: 'esdb-support',
          customerId: 'cust-esdb-1',
          closedAt,
          closedBy: { kind: 'agent', id: 'esdb-ann' },
          closeReason: 'agent_closed_session_after_wrap_up',
        },
      ]);
      expect((await d.view<MyWorkItem>('/api/agents/esdb-ann/work-items')).items).toEqual([]);

      const history = await t.get('/api/conversations/esdb-1/history');
      expect(history.statusCode).toBe(200);
      const events = history.body.events as Array<{ type: string; revision: number }>;
      expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      expect(events[0].type).toBe('ConversationOpened');
      expect(closed.revision).toBe(3);

      const current = await t.get('/api/conversations/esdb-1');
      expect(current.body).toMatchObject({ status: 'closed', revision: 3 });
      const health = await t.get('/health');
      expect(health.statusCode).toBe(200);
      // The close also gave the agent's capacity back on the agent's stream, after the conversation's event.
      const head = await t.store.headPosition();
      expect(head).toBeGreaterThan(closed.position);
      expect(health.body.checks.eventStore).toEqual({ status: 'ok', headPosition: head });
    });

    it('streams a catch-up read filtered by stream (follow=false) to its end, as on the embedded store', async () => {
      await d.open('esdb-feed-1', { channel: 'sms', queueId: 'esdb-feed' });
      await d.open('esdb-feed-2', { channel: 'sms', queueId: 'esdb-feed' });
      const answer = await t.request({ method: 'GET', url: '/api/events?after=0&follow=false&streams=conversation-esdb-feed-1' });
      expect(answer.statusCode).toBe(200);
      const ids = answer.text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => (JSON.parse(line.slice(6)) as { stream: string }).stream);
      expect(ids).toEqual(['conversation-esdb-feed-1']);
    });

    it('answers 503 while EventStoreDB is down, says so in /health, and works again once it is back', async () => {
      await d.open('esdb-2', { channel: 'sms', queueId: 'esdb-outage' });

      await server.stop();
      const refused = await t.post('/api/conversations/esdb-2/pick', { agentId: 'esdb-bo' });
      expect(refused.statusCode).toBe(503);
      expect(refused.body).toMatchObject({ code: 'EVENT_STORE.UNAVAILABLE' });
      expect(refused.headers['retry-after']).toBe('1');
      const down = await t.get('/health');
      expect(down.statusCode).toBe(503);
      expect(down.body.checks.eventStore).toMatchObject({ status: 'down' });

      await server.restart();
      await answeredWith(200, () => t.get('/health'));
      await d.pick('esdb-2', 'esdb-bo');
      // The projector resubscribed by itself: the view shows the command made after the outage.
      expect((await d.view<MyWorkItem>('/api/agents/esdb-bo/work-items')).items).toEqual([
        expect.objectContaining({ conversationId: 'esdb-2', status: 'active' }),
      ]);
    });

    it('refuses to start when nothing answers at ESDB_CONNECTION_STRING, naming it', async () => {
      const gone = await InProcessEventStoreDbServer.start();
      const connectionString = gone.connectionString;
      await gone.stop();

      await expect(startApp({ store: 'eventstoredb', esdbConnectionString: connectionString })).rejects.toThrow(/ESDB_CONNECTION_STRING/);
    });
  });
}

/**
 * Polls until the request answers the status: the client finds out its connection is gone
 * from the first call after a restart, and reconnects on the next.
 */
async function answeredWith(statusCode: number, request: () => Promise<Answer>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | undefined;
  while (Date.now() < deadline) {
    last = await request();
    if (last.statusCode === statusCode) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Still answering ${String(last?.statusCode)} after ${timeoutMs} ms, not ${statusCode}: ${last?.text}`);
}
