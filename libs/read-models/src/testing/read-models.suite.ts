/**
 * Test-only: the one read-model suite, run unchanged against every database kind (SQLite file,
 * PostgreSQL schema). Histories are decided with the domain's `decide` and appended to an
 * InMemoryEventStore; the projector under test keeps the tables, and the reference is always
 * a rebuild from the whole log into a fresh database.
 */
import { InMemoryEventStore, type EventStore, type ReadAllOptions } from '@lib/event-store';
import { DelegatingEventStore } from '@lib/event-store';
import { waitUntil } from '@lib/event-store/testing/wait-until';
import fc from 'fast-check';
import { sql, type Migration } from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';
import { VIEW_TABLES } from '../database/read-model-schema';
import { runInWriteTransaction } from '../database/write-transaction';
import { pruneClosedWorkItems } from '../maintenance/prune-closed-work-items';
import { migrateToLatest, READ_MODEL_MIGRATIONS, ReadModelMigrationError } from '../migrations/migrate';
import { AgentsAndQueuesProjection } from '../projections/agents-and-queues.projection';
import { AuditIndexProjection } from '../projections/audit-index.projection';
import { ConversationTimersProjection } from '../projections/conversation-timers.projection';
import { TimerQueries, cursorAfter, type DueTimerCutoff, type StoredTimer } from '../queries/timer-queries';
import { ConversationViewsProjection } from '../projections/conversation-views.projection';
import { LiveKpisProjection } from '../projections/live-kpis/live-kpis.projection';
import {
  AGENTS_AND_QUEUES_PROJECTION,
  AUDIT_INDEX_PROJECTION,
  CONVERSATION_TIMERS_PROJECTION,
  CONVERSATION_VIEWS_PROJECTION,
  LIVE_KPIS_PROJECTION,
  type Projection,
} from '../projections/projection';
import { createReadModelProjections } from '../projections/read-model-projections';
import { readCheckpoint } from '../projector/checkpoints';
import { Projector, type ProjectorLogger, type ProjectorOptions } from '../projector/projector';
import { ReadModelQueries } from '../queries/read-model-queries';
import { MAX_PAGE_LIMIT, type Page, type PageRequest, type ProjectionStatus } from '../read-models.types';
import { rebuildReadModels, RebuildError } from '../rebuild/rebuild-read-models';
import { at, ConversationLog, HOUR, MINUTE } from './conversation-log';
import { FailingCommitPlugin, refusingPosition, throwingAfterApply, withPlugin } from './faults';
import { randomHistory, playHistory } from './random-history';
import { checkpointsOf, dumpViews, type ViewDump } from './table-dump';
import { describeWorkDistribution } from './work-distribution.suite';

export interface TestDatabase {
  database: ReadModelDatabase;
  /** A second handle on the same database, as a restarted process (or another instance) opens it. */
  reopen(): Promise<ReadModelDatabase>;
}

export interface TestDatabases {
  /** A fresh, empty, not yet migrated database. */
  open(): Promise<TestDatabase>;
  /** Closes every handle opened so far and removes what they created. */
  disposeAll(): Promise<void>;
  /**
   * Whether two handles of one process may write at the same time. Not on SQLite: better-sqlite3
   * waits for a lock synchronously, so a handle waiting (busy_timeout) blocks the event loop
   * the lock holder needs to commit. Concurrent writers on SQLite are separate processes, or
   * share one handle.
   */
  concurrentHandles: boolean;
}

export interface SuiteOptions {
  /** Runs of the incremental-equals-rebuild property (each opens two databases). */
  propertyRuns: number;
}

interface CapturedLogger extends ProjectorLogger {
  messages: { level: 'log' | 'warn' | 'error'; message: string }[];
}

const capturingLogger = (): CapturedLogger => {
  const messages: CapturedLogger['messages'] = [];
  return {
    messages,
    log: (message) => messages.push({ level: 'log', message }),
    warn: (message) => messages.push({ level: 'warn', message }),
    error: (message) => messages.push({ level: 'error', message }),
  };
};

/** Every item of a paged list, following nextCursor; also returns the number of pages. */
async function allPages<T>(fetch: (page: PageRequest) => Promise<Page<T>>, limit: number): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor === undefined ? { limit } : { limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
    if (pages > 1000) throw new Error('paging does not end');
  } while (cursor !== undefined);
  return { items, pages };
}

const byName = (statuses: ProjectionStatus[], name: string): ProjectionStatus => {
  const status = statuses.find((candidate) => candidate.name === name);
  if (status === undefined) throw new Error(`no status for ${name}`);
  return status;
};

export function describeReadModels(name: string, databases: TestDatabases, options: SuiteOptions): void {
  describe(`${name} read models`, () => {
    const projectors: Projector[] = [];
    const stores: EventStore[] = [];

    /** A migrated database, an empty log and a conversation writer on it. */
    async function setup() {
      const opened = await databases.open();
      await migrateToLatest(opened.database);
      const store = new InMemoryEventStore();
      stores.push(store);
      return { ...opened, store, log: new ConversationLog(store), queries: new ReadModelQueries(opened.database) };
    }

    function projectorOf(
      store: EventStore,
      database: ReadModelDatabase,
      projections: Projection[] = createReadModelProjections(),
      projectorOptions: ProjectorOptions = {},
    ): Projector {
      const projector = new Projector(store, database, projections, { logger: capturingLogger(), retryDelayMs: 5, ...projectorOptions });
      projectors.push(projector);
      return projector;
    }

    /** Projects the whole log with a fresh projector, then stops it. */
    async function projectToHead(store: EventStore, database: ReadModelDatabase): Promise<void> {
      const projector = projectorOf(store, database);
      await projector.start();
      expect(await projector.waitForPosition(await store.headPosition(), 10_000)).toBe(true);
      await projector.stop();
    }

    /** The reference: the whole log rebuilt into a fresh database. */
    async function rebuiltFromScratch(store: EventStore): Promise<{ dump: ViewDump; checkpoints: Record<string, number> }> {
      const { database } = await databases.open();
      await migrateToLatest(database);
      await rebuildReadModels(store, database, { batchSize: 64 });
      return { dump: await dumpViews(database), checkpoints: await checkpointsOf(database) };
    }

    /** Every projection of the library, in the order the projector reports them. */
    const PROJECTIONS = [
      CONVERSATION_VIEWS_PROJECTION,
      AUDIT_INDEX_PROJECTION,
      CONVERSATION_TIMERS_PROJECTION,
      AGENTS_AND_QUEUES_PROJECTION,
      LIVE_KPIS_PROJECTION,
    ];
    const everyCheckpointAt = (position: number) => Object.fromEntries(PROJECTIONS.map((name) => [name, position]));
    const everyProjectionHealthyAt = (position: number) => PROJECTIONS.map((name) => ({ name, position, healthy: true }));

    async function expectSameAsRebuild(store: EventStore, database: ReadModelDatabase): Promise<void> {
      const head = await store.headPosition();
      const reference = await rebuiltFromScratch(store);
      expect(await dumpViews(database)).toEqual(reference.dump);
      expect(await checkpointsOf(database)).toEqual(everyCheckpointAt(head));
      expect(reference.checkpoints).toEqual(everyCheckpointAt(head));
    }

    afterEach(async () => {
      await Promise.all(projectors.splice(0).map((projector) => projector.stop()));
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await databases.disposeAll();
    });

    describe('migrations', () => {
      it('runs every migration once and creates every table', async () => {
        const { database } = await databases.open();
        expect(await migrateToLatest(database)).toEqual([
          '001_initial',
          '002_conversation_timers',
          '003_agents_and_queues',
          '004_live_kpis',
          '005_ongoing_conversations',
        ]);
        expect(await migrateToLatest(database)).toEqual([]);
        for (const table of ['projection_checkpoints', ...VIEW_TABLES] as const) {
          await expect(database.db.selectFrom(table).selectAll().execute()).resolves.toEqual([]);
        }
      });

      it('names the migration that fails', async () => {
        const { database } = await databases.open();
        const broken: Record<string, Migration> = {
          ...READ_MODEL_MIGRATIONS,
          '002_broken': {
            up: async (db) => {
              await sql`select * from no_such_table`.execute(db);
            },
          },
        };
        const failure = await migrateToLatest(database, broken).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(ReadModelMigrationError);
        expect((failure as ReadModelMigrationError).migrationName).toBe('002_broken');
        expect((failure as Error).message).toMatch(/Read-model migration 002_broken failed/);
      });

      it('gives the rebuilt tables the layout the migrations give', async () => {
        const { database, store } = await setup();
        const layout = async () => {
          const tables = await database.db.introspection.getTables();
          return tables
            .filter((table) => (VIEW_TABLES as readonly string[]).includes(table.name))
            .filter((table) => database.kind !== 'postgres' || table.schema === database.schema)
            .map((table) => ({
              name: table.name,
              columns: table.columns.map((column) => ({ name: column.name, type: column.dataType, nullable: column.isNullable })),
            }))
            .sort((a, b) => a.name.localeCompare(b.name));
        };
        const migrated = await layout();
        expect(migrated.map((table) => table.name).sort()).toEqual([...VIEW_TABLES].sort());
        await rebuildReadModels(store, database);
        expect(await layout()).toEqual(migrated);
        // A second rebuild works too (index names of the first rebuild do not collide).
        await rebuildReadModels(store, database);
        expect(await layout()).toEqual(migrated);
      });
    });

    describe('queue view', () => {
      async function queueScenario() {
        const context = await setup();
        const { log } = context;
        await log.open('c1', 0, { priority: 0 });
        await log.open('c2', 1, { priority: 5 });
        await log.open('c3', 2, { priority: 5 });
        await log.open('c4', 3, { priority: 0, queueId: 'queue-b' });
        await log.open('c5', 3, { priority: 0 });
        await log.open('c6', 3, { priority: 0, channel: 'sms' });
        await log.pick('c5', 5, 'agent-1');
        // c1 leaves the queue and comes back: it re-enters at minute 7.
        await log.pick('c1', 6, 'agent-1');
        await log.release('c1', 7, 'agent-1');
        await log.customerWrites('c6', 8);
        await log.customerWrites('c6', 9);
        await log.otherStreamEvent();
        await projectToHead(context.store, context.database);
        return context;
      }

      it('lists open items by priority, then longest waiting, with wait time as of now', async () => {
        const { queries } = await queueScenario();
        const page = await queries.queueWorkItems('queue-a', {}, at(10));
        expect(page.nextCursor).toBeUndefined();
        expect(page.items).toEqual(
          [
            {
              conversationId: 'c2',
              queueId: 'queue-a',
              channel: 'persistent_chat',
              customerId: 'customer-of-c2',
              priority: 5,
              queuedSince: at(1),
              waitMs: 9 * MINUTE,
              unreadCustomerMessages: 0,
            },
            {
              conversationId: 'c3',
              queueId: 'queue-a',
              channel: 'persistent_chat',
              customerId: 'customer-of-c3',
              priority: 5,
              queuedSince: at(2),
              waitMs: 8 * MINUTE,
              unreadCustomerMessages: 0,
            },
            {
              conversationId: 'c5',
              queueId: 'queue-a',
              channel: 'persistent_chat',
              customerId: 'customer-of-c5',
              priority: 0,
              queuedSince: at(3),
              waitMs: 7 * MINUTE,
              unreadCustomerMessages: 0,
            },
            {
              conversationId: 'c6',
              queueId: 'queue-a',
              channel: 'sms',
              customerId: 'customer-of-c6',
              priority: 0,
              queuedSince: at(3),
              waitMs: 7 * MINUTE,
              unreadCustomerMessages: 2,
            },
            {
              conversationId: 'c1',
              queueId: 'queue-a',
              channel: 'persistent_chat',
              customerId: 'customer-of-c1',
              priority: 0,
              queuedSince: at(7),
              waitMs: 3 * MINUTE,
              unreadCustomerMessages: 0,
            },
          ].filter((item) => item.conversationId !== 'c5'),
        );
        expect((await queries.queueWorkItems('queue-b', {}, at(3))).items.map((item) => [item.conversationId, item.waitMs])).toEqual([
          ['c4', 0],
        ]);
        expect((await queries.queueWorkItems('queue-none', {}, at(3))).items).toEqual([]);
      });

      it('pages through every item with a cursor, and refuses a limit above the maximum', async () => {
        const { queries } = await queueScenario();
        const all = (await queries.queueWorkItems('queue-a', { limit: MAX_PAGE_LIMIT }, at(10))).items;
        for (const limit of [1, 2, 3]) {
          const paged = await allPages((page) => queries.queueWorkItems('queue-a', page, at(10)), limit);
          expect(paged.items).toEqual(all);
          expect(paged.pages).toBe(Math.ceil(all.length / limit));
        }
        await expect(queries.queueWorkItems('queue-a', { limit: MAX_PAGE_LIMIT + 1 }, at(10))).rejects.toThrow(RangeError);
        await expect(queries.queueWorkItems('queue-a', { limit: MAX_PAGE_LIMIT + 1 }, at(10))).rejects.toThrow(/limit/);
        await expect(queries.queueWorkItems('queue-a', { limit: 0 }, at(10))).rejects.toThrow(/limit/);
        await expect(queries.queueWorkItems('queue-a', { cursor: 'not-a-cursor' }, at(10))).rejects.toThrow(/cursor/);
        const cursorOfA = (await queries.queueWorkItems('queue-a', { limit: 1 }, at(10))).nextCursor as string;
        await expect(queries.queueWorkItems('queue-b', { cursor: cursorOfA }, at(10))).rejects.toThrow(RangeError);
        await expect(queries.queueWorkItems('queue-a', {}, 'yesterday')).rejects.toThrow(/now/);
      });

      it('counts conversations per queue and status, paged by queue', async () => {
        const { queries, log, store, database } = await queueScenario();
        await log.forceClose('c4', 11);
        await projectToHead(store, database);
        const counts = await queries.queueCounts();
        expect(counts).toEqual({
          items: [
            { queueId: 'queue-a', open: 4, active: 1, waiting: 0, wrap_up: 0, closed: 0 },
            { queueId: 'queue-b', open: 0, active: 0, waiting: 0, wrap_up: 0, closed: 1 },
          ],
        });
        const paged = await allPages((page) => queries.queueCounts(page), 1);
        expect(paged).toEqual({ items: counts.items, pages: 2 });
        await expect(queries.queueCounts({ limit: MAX_PAGE_LIMIT + 1 })).rejects.toThrow(/limit/);
      });
    });

    describe('my work items', () => {
      it("lists an agent's active, waiting and wrap-up items with status since, channel, customer and unread messages", async () => {
        const { log, store, database, queries } = await setup();
        await log.open('w1', 0, { channel: 'live_chat' });
        await log.pick('w1', 1, 'agent-1');
        await log.customerWrites('w1', 2);
        await log.customerWrites('w1', 3);
        await log.open('w2', 0, { channel: 'sms', queueId: 'queue-b' });
        await log.push('w2', 4, 'agent-1');
        await log.open('w3', 0, { channel: 'persistent_chat' });
        await log.pick('w3', 2, 'agent-1');
        await log.closeSession('w3', 5, 'agent-1'); // waiting
        await log.open('w4', 0, { channel: 'voice' });
        await log.pick('w4', 3, 'agent-1');
        await log.endByAgent('w4', 6, 'agent-1'); // wrap_up
        await log.open('w5', 0);
        await log.pick('w5', 1, 'agent-2');
        await log.open('w6', 0);
        await log.pick('w6', 1, 'agent-1');
        await log.forceClose('w6', 2);
        // Transferred away from agent-1: it is agent-3's now.
        await log.open('w7', 0);
        await log.pick('w7', 1, 'agent-1');
        await log.transferToAgent('w7', 7, 'agent-1', 'agent-3');
        await projectToHead(store, database);

        const mine = await queries.myWorkItems('agent-1');
        expect(mine).toEqual({
          items: [
            {
              conversationId: 'w1',
              status: 'active',
              statusSince: at(1),
              channel: 'live_chat',
              queueId: 'queue-a',
              customerId: 'customer-of-w1',
              unreadCustomerMessages: 2,
              awaitingAcceptance: false,
            },
            {
              conversationId: 'w2',
              status: 'active',
              statusSince: at(4),
              channel: 'sms',
              queueId: 'queue-b',
              customerId: 'customer-of-w2',
              unreadCustomerMessages: 0,
              awaitingAcceptance: true,
            },
            {
              conversationId: 'w3',
              status: 'waiting',
              statusSince: at(5),
              channel: 'persistent_chat',
              queueId: 'queue-a',
              customerId: 'customer-of-w3',
              unreadCustomerMessages: 0,
              awaitingAcceptance: false,
            },
            {
              conversationId: 'w4',
              status: 'wrap_up',
              statusSince: at(6),
              channel: 'voice',
              queueId: 'queue-a',
              customerId: 'customer-of-w4',
              unreadCustomerMessages: 0,
              awaitingAcceptance: false,
            },
          ],
        });
        expect((await queries.myWorkItems('agent-3')).items.map((item) => item.conversationId)).toEqual(['w7']);
        expect((await queries.myWorkItems('agent-9')).items).toEqual([]);

        const paged = await allPages((page) => queries.myWorkItems('agent-1', page), 1);
        expect(paged).toEqual({ items: mine.items, pages: 4 });
        await expect(queries.myWorkItems('agent-1', { limit: MAX_PAGE_LIMIT + 1 })).rejects.toThrow(/limit/);

        // The agent answers: unread count back to 0; accepting the push clears awaitingAcceptance.
        await log.agentWrites('w1', 8, 'agent-1');
        await log.accept('w2', 9, 'agent-1');
        await projectToHead(store, database);
        const after = await queries.myWorkItems('agent-1');
        expect(after.items.find((item) => item.conversationId === 'w1')?.unreadCustomerMessages).toBe(0);
        expect(after.items.find((item) => item.conversationId === 'w2')?.awaitingAcceptance).toBe(false);
      });
    });

    describe('conversation timers', () => {
      async function projected(context: Awaited<ReturnType<typeof setup>>) {
        await projectToHead(context.store, context.database);
        return new TimerQueries(context.database);
      }
      const sinceOf = (timers: StoredTimer[]) =>
        Object.fromEntries(timers.map((timer) => [timer.kind, `${timer.status} since ${timer.since}`]));

      it('a timer appears when its condition begins and is gone once it is cleared; a closed conversation has none', async () => {
        const context = await setup();
        const { log } = context;
        await log.open('k1', 0, { channel: 'live_chat' });
        await log.run('k1', 1, { type: 'DisconnectCustomer', data: {} });
        let timers = await projected(context);
        expect(sinceOf(await timers.timersOf('k1'))).toEqual({
          auto_close: `open since ${at(0)}`,
          customer_disconnect: `open since ${at(1)}`,
        });

        await log.run('k1', 2, { type: 'ReconnectCustomer', data: {} });
        await log.push('k1', 3, 'agent-1');
        timers = await projected(context);
        expect(sinceOf(await timers.timersOf('k1'))).toEqual({
          auto_close: `active since ${at(3)}`,
          push_reservation: `active since ${at(3)}`,
        });

        await log.accept('k1', 4, 'agent-1');
        await log.run('k1', 5, { type: 'DisconnectAgent', data: { agentId: 'agent-1' } });
        timers = await projected(context);
        expect(sinceOf(await timers.timersOf('k1'))).toEqual({
          auto_close: `active since ${at(3)}`,
          agent_disconnect: `active since ${at(5)}`,
        });

        await log.forceClose('k1', 6);
        timers = await projected(context);
        expect(await timers.timersOf('k1')).toEqual([]);
        expect(await context.database.db.selectFrom('timer_conversation_states').selectAll().execute()).toEqual([]);
      });

      it('a waiting conversation runs its inactivity timer from the last message of either side', async () => {
        const context = await setup();
        const { log } = context;
        await log.open('k2', 0, { channel: 'sms' });
        await log.pick('k2', 1, 'agent-1');
        await log.closeSession('k2', 2, 'agent-1');
        await log.run('k2', 90_000, { type: 'RecordMessage', data: { from: 'agent', agentId: 'agent-1' } });
        const timers = await projected(context);
        expect(sinceOf(await timers.timersOf('k2'))).toEqual({
          auto_close: `waiting since ${at(2)}`,
          inactivity: `waiting since ${at(90_000)}`,
        });
      });

      it('finds due timers by kind, channel and status, oldest first, and none a millisecond early', async () => {
        const context = await setup();
        const { log } = context;
        await log.open('d-chat', 0, { channel: 'live_chat' });
        await log.open('d-sms', 1, { channel: 'sms' });
        await log.open('d-chat-2', 2, { channel: 'live_chat' });
        await log.pick('d-chat-2', 3, 'agent-1');
        const timers = await projected(context);
        const openChat = (cutoffMinute: number): DueTimerCutoff => ({
          kind: 'auto_close',
          channel: 'live_chat',
          status: 'open',
          sinceAtOrBeforeMs: Date.parse(at(cutoffMinute)),
        });

        expect(await timers.dueTimers([{ ...openChat(0), sinceAtOrBeforeMs: Date.parse(at(0)) - 1 }], 10)).toEqual([]);
        expect((await timers.dueTimers([openChat(0)], 10)).map((timer) => timer.conversationId)).toEqual(['d-chat']);
        // d-chat-2 is active now: an open-status cutoff does not reach it, whatever the time.
        expect((await timers.dueTimers([openChat(10)], 10)).map((timer) => timer.conversationId)).toEqual(['d-chat']);
        const both = await timers.dueTimers(
          [openChat(10), { kind: 'auto_close', channel: 'sms', status: 'open', sinceAtOrBeforeMs: Date.parse(at(10)) }],
          10,
        );
        expect(both.map((timer) => timer.conversationId)).toEqual(['d-chat', 'd-sms']);
        expect(
          await timers.dueTimers(
            [openChat(10), { kind: 'auto_close', channel: 'sms', status: 'open', sinceAtOrBeforeMs: Date.parse(at(10)) }],
            1,
          ),
        ).toEqual([{ conversationId: 'd-chat', kind: 'auto_close', channel: 'live_chat', status: 'open', since: at(0) }]);
        expect(await timers.dueTimers([], 10)).toEqual([]);
        // Paging: the next page starts after the last timer of the previous one.
        const sms: DueTimerCutoff = { kind: 'auto_close', sinceAtOrBeforeMs: Date.parse(at(10)) };
        const first = await timers.dueTimers([sms], 2);
        expect(first.map((timer) => timer.conversationId)).toEqual(['d-chat', 'd-sms']);
        const second = await timers.dueTimers([sms], 2, cursorAfter(first[1]));
        expect(second.map((timer) => `${timer.conversationId} ${timer.status}`)).toEqual(['d-chat-2 active']);
        expect(await timers.dueTimers([sms], 2, cursorAfter(second[0]))).toEqual([]);
      });
    });

    describe('closed work items', () => {
      async function closedScenario() {
        const context = await setup();
        const { log } = context;
        await log.open('d1', 0);
        await log.pick('d1', 1, 'agent-1');
        await log.endByAgent('d1', 10, 'agent-1');
        await log.closeSession('d1', 20, 'agent-1'); // closed at 20 by agent-1
        await log.open('d2', 0, { channel: 'sms', queueId: 'queue-b' });
        await log.pick('d2', 1, 'agent-1');
        await log.forceClose('d2', 60, 'supervisor-9', 'abusive'); // closed at 60 by a supervisor
        await log.open('d3', 0);
        await log.forceClose('d3', 30); // closed from the queue: nobody's closed item
        await log.open('d4', 0);
        await log.pick('d4', 1, 'agent-2');
        await log.forceClose('d4', 40);
        await log.open('d5', 0);
        await log.pick('d5', 1, 'agent-1');
        await log.forceClose('d5', 24 * 60 + 10);
        await projectToHead(context.store, context.database);
        return context;
      }

      it('lists the items an agent held when they closed, within 24 hours before now, most recent first', async () => {
        const { queries } = await closedScenario();
        const early = await queries.closedWorkItems('agent-1', at(100));
        expect(early).toEqual({
          items: [
            {
              conversationId: 'd2',
              agentId: 'agent-1',
              channel: 'sms',
              queueId: 'queue-b',
              customerId: 'customer-of-d2',
              closedAt: at(60),
              closedBy: { kind: 'supervisor', id: 'supervisor-9' },
              closeReason: 'abusive',
            },
            {
              conversationId: 'd1',
              agentId: 'agent-1',
              channel: 'persistent_chat',
              queueId: 'queue-a',
              customerId: 'customer-of-d1',
              closedAt: at(20),
              closedBy: { kind: 'agent', id: 'agent-1' },
              closeReason: 'agent_closed_session_after_wrap_up',
            },
          ],
        });
        // 24 h after minute 20 d1 has left the window (exclusive), d2 and d5 are in it.
        const late = await queries.closedWorkItems('agent-1', at(24 * 60 + 20));
        expect(late.items.map((item) => item.conversationId)).toEqual(['d5', 'd2']);
        expect((await queries.closedWorkItems('agent-1', at(24 * 60 + 19.99))).items.map((item) => item.conversationId)).toEqual([
          'd5',
          'd2',
          'd1',
        ]);
        expect((await queries.closedWorkItems('agent-2', at(100))).items.map((item) => item.conversationId)).toEqual(['d4']);

        const paged = await allPages((page) => queries.closedWorkItems('agent-1', at(24 * 60 + 19), page), 1);
        expect(paged.items.map((item) => item.conversationId)).toEqual(['d5', 'd2', 'd1']);
        await expect(queries.closedWorkItems('agent-1', at(0), { limit: MAX_PAGE_LIMIT + 1 })).rejects.toThrow(/limit/);
      });

      it('prunes rows older than the retention window and reports how many', async () => {
        const { queries, database } = await closedScenario();
        // Cut-off at minute 30: d1 (20) goes, d4 (40), d2 (60) and d5 stay.
        expect(await pruneClosedWorkItems(database, at(24 * 60 + 30))).toBe(1);
        expect(await pruneClosedWorkItems(database, at(24 * 60 + 30))).toBe(0);
        expect((await queries.closedWorkItems('agent-1', at(100))).items.map((item) => item.conversationId)).toEqual(['d2']);
        expect(await pruneClosedWorkItems(database, at(10 * 24 * 60), HOUR)).toBe(3);
        await expect(pruneClosedWorkItems(database, 'not a time')).rejects.toThrow(/now/);
      });
    });

    describe('conversation detail', () => {
      it('answers the current state of a conversation, undefined when unknown', async () => {
        const { log, store, database, queries } = await setup();
        await log.open('k1', 0, { channel: 'live_chat', priority: 3 });
        await log.pick('k1', 2, 'agent-1');
        await log.customerWrites('k1', 3);
        const last = await log.transferToQueue('k1', 4, 'agent-1', 'queue-b');
        await log.open('k2', 0);
        await log.pick('k2', 1, 'agent-2');
        const closed = await log.forceClose('k2', 5);
        await projectToHead(store, database);

        expect(await queries.conversationDetail('k1')).toEqual({
          conversationId: 'k1',
          status: 'open',
          channel: 'live_chat',
          queueId: 'queue-b',
          customerId: 'customer-of-k1',
          priority: 3,
          lastAgentId: 'agent-1',
          openedAt: at(0),
          statusSince: at(4),
          unreadCustomerMessages: 1,
          revision: 3,
          position: last,
        });
        expect(await queries.conversationDetail('k2')).toEqual({
          conversationId: 'k2',
          status: 'closed',
          channel: 'persistent_chat',
          queueId: 'queue-a',
          customerId: 'customer-of-k2',
          priority: 0,
          lastAgentId: 'agent-2',
          openedAt: at(0),
          statusSince: at(5),
          closedAt: at(5),
          unreadCustomerMessages: 0,
          revision: 2,
          position: closed,
        });
        await log.pick('k1', 6, 'agent-3');
        await projectToHead(store, database);
        expect(await queries.conversationDetail('k1')).toMatchObject({ status: 'active', agentId: 'agent-3', lastAgentId: 'agent-3' });
        expect(await queries.conversationDetail('nope')).toBeUndefined();
      });
    });

    describe('audit index', () => {
      async function auditScenario() {
        const context = await setup();
        const { log } = context;
        await log.open('a1', 0); // 1
        await log.open('a2', 0); // 2
        await log.push('a1', 1, 'agent-1'); // 3: routing pushes to agent-1
        await log.accept('a1', 2, 'agent-1'); // 4
        await log.otherStreamEvent(); // 5: not a conversation event
        await log.customerWrites('a1', 3); // 6: customer, while agent-1 holds it
        await log.pick('a2', 3, 'agent-2'); // 7
        await log.consult('a1', 4, 'agent-1', 'agent-2'); // 8: agent-2 consults
        await log.transferToAgent('a1', 5, 'agent-1', 'agent-3'); // 9
        await log.forceClose('a1', 6, 'supervisor-1', 'spam'); // 10: while agent-3 holds it
        await projectToHead(context.store, context.database);
        return context;
      }

      it('indexes every conversation event with its actor, reason and every agent it concerns, in log order', async () => {
        const { queries, store } = await auditScenario();
        const entries = (await queries.audit({ conversationId: 'a1' })).items;
        const events = await store.readStream('conversation-a1');
        expect(entries.map((entry) => [entry.position, entry.revision, entry.type])).toEqual(
          events.map((event) => [event.position, event.revision, event.type]),
        );
        expect(
          entries.map(({ type, actorKind, actorId, reason, agentIds, at: time }) => ({ type, actorKind, actorId, reason, agentIds, time })),
        ).toEqual([
          {
            type: 'ConversationOpened',
            actorKind: 'customer',
            actorId: 'customer-of-a1',
            reason: 'customer_started',
            agentIds: [],
            time: at(0),
          },
          {
            type: 'ConversationPushedToAgent',
            actorKind: 'system',
            actorId: 'routing',
            reason: 'routed_to_agent',
            agentIds: ['agent-1'],
            time: at(1),
          },
          {
            type: 'ConversationPushAccepted',
            actorKind: 'agent',
            actorId: 'agent-1',
            reason: 'agent_accepted_push',
            agentIds: ['agent-1'],
            time: at(2),
          },
          {
            type: 'CustomerMessageReceived',
            actorKind: 'customer',
            actorId: 'customer-of-a1',
            reason: 'customer_wrote',
            agentIds: ['agent-1'],
            time: at(3),
          },
          {
            type: 'ConsultStarted',
            actorKind: 'agent',
            actorId: 'agent-1',
            reason: 'agent_started_consult',
            agentIds: ['agent-1', 'agent-2'],
            time: at(4),
          },
          {
            type: 'ConversationTransferredToAgent',
            actorKind: 'agent',
            actorId: 'agent-1',
            reason: 'agent_transferred_to_agent',
            agentIds: ['agent-1', 'agent-3'],
            time: at(5),
          },
          {
            type: 'ConversationForceClosed',
            actorKind: 'supervisor',
            actorId: 'supervisor-1',
            reason: 'spam',
            agentIds: ['agent-3'],
            time: at(6),
          },
        ]);
        const everything = (await queries.audit({})).items;
        expect(everything.map((entry) => entry.position)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
      });

      it('finds by agent, conversation and time range, and pages', async () => {
        const { queries } = await auditScenario();
        const typesFor = async (query: Parameters<ReadModelQueries['audit']>[0]) =>
          (await queries.audit(query)).items.map((entry) => `${entry.conversationId}:${entry.type}`);
        expect(await typesFor({ agentId: 'agent-2' })).toEqual(['a2:ConversationPicked', 'a1:ConsultStarted']);
        expect(await typesFor({ agentId: 'agent-3' })).toEqual(['a1:ConversationTransferredToAgent', 'a1:ConversationForceClosed']);
        expect(await typesFor({ agentId: 'agent-1', conversationId: 'a1', from: at(3), to: at(5) })).toEqual([
          'a1:CustomerMessageReceived',
          'a1:ConsultStarted',
        ]);
        expect(await typesFor({ from: at(3), to: at(4) })).toEqual(['a1:CustomerMessageReceived', 'a2:ConversationPicked']);
        expect(await typesFor({ conversationId: 'a2' })).toEqual(['a2:ConversationOpened', 'a2:ConversationPicked']);
        expect(await typesFor({ agentId: 'nobody' })).toEqual([]);

        const all = (await queries.audit({ agentId: 'agent-1' })).items;
        expect(all).toHaveLength(5);
        for (const limit of [1, 2]) {
          const paged = await allPages((page) => queries.audit({ agentId: 'agent-1', ...page }), limit);
          expect(paged.items).toEqual(all);
        }
        await expect(queries.audit({ limit: MAX_PAGE_LIMIT + 1 })).rejects.toThrow(/limit/);
        await expect(queries.audit({ from: 'soon' })).rejects.toThrow(/from/);
        await expect(queries.audit({ cursor: 'eyJsIjoieCJ9' })).rejects.toThrow(/cursor/);
      });
    });

    describe('projector', () => {
      it('ignores other streams but moves its checkpoints past them, and reports its position', async () => {
        const { log, store, database, queries } = await setup();
        await log.open('n1', 0);
        const last = await log.otherStreamEvent();
        await log.otherStreamEvent('supervisor-q1');
        const head = await store.headPosition();
        const projector = projectorOf(store, database);
        await projector.start();
        expect(await projector.waitForPosition(last, 5000)).toBe(true);
        expect(await projector.waitForPosition(head, 5000)).toBe(true);
        expect(projector.status()).toEqual(everyProjectionHealthyAt(head));
        expect(await checkpointsOf(database)).toEqual(everyCheckpointAt(head));
        expect((await queries.audit()).items).toHaveLength(1);
        expect(await projector.waitForPosition(head + 1, 30)).toBe(false);
      });

      it('follows the log live and resumes from its checkpoint after a restart, on another handle', async () => {
        const { log, store, database, reopen } = await setup();
        const first = projectorOf(store, database, undefined, { batchSize: 3, liveBatchWindowMs: 2 });
        await first.start();
        await log.open('r1', 0);
        await log.pick('r1', 1, 'agent-1');
        expect(await first.waitForPosition(log.lastPosition, 5000)).toBe(true);
        await log.open('r2', 2);
        expect(await first.waitForPosition(log.lastPosition, 5000)).toBe(true);
        await first.stop();

        // Written while no projector runs.
        await log.customerWrites('r1', 3);
        await log.release('r1', 4, 'agent-1');
        await log.pick('r2', 5, 'agent-2');
        const restarted = await reopen();
        const second = projectorOf(store, restarted, undefined, { batchSize: 2 });
        await second.start();
        expect(await second.waitForPosition(await store.headPosition(), 5000)).toBe(true);
        await second.stop();
        await expectSameAsRebuild(store, database);
      });

      it('stops only the projection that cannot apply an event, at that event, and reports it', async () => {
        const { log, store, database, reopen } = await setup();
        await log.open('f1', 0);
        await log.open('f2', 0);
        const bad = await log.pick('f1', 1, 'agent-1');
        await log.pick('f2', 2, 'agent-2');
        await log.customerWrites('f1', 3);
        const head = await store.headPosition();
        const logger = capturingLogger();
        const projector = projectorOf(
          store,
          database,
          [refusingPosition(new ConversationViewsProjection(), () => bad), new AuditIndexProjection()],
          { batchSize: 50, logger },
        );
        await projector.start();
        await waitUntil(() => !byName(projector.status(), CONVERSATION_VIEWS_PROJECTION).healthy, { description: 'views unhealthy' });
        expect(await projector.waitForPosition(head, 5000)).toBe(false);
        await waitUntil(() => byName(projector.status(), AUDIT_INDEX_PROJECTION).position === head, { description: 'audit at head' });

        expect(projector.status()).toEqual([
          {
            name: CONVERSATION_VIEWS_PROJECTION,
            position: bad - 1,
            healthy: false,
            failure: { position: bad, eventType: 'ConversationPicked', message: 'cannot project ConversationPicked: unsupported shape' },
          },
          { name: AUDIT_INDEX_PROJECTION, position: head, healthy: true },
        ]);
        expect(await readCheckpoint(database, CONVERSATION_VIEWS_PROJECTION)).toEqual({
          position: bad - 1,
          failure: { position: bad, eventType: 'ConversationPicked', message: 'cannot project ConversationPicked: unsupported shape' },
        });
        expect(logger.messages.filter((entry) => entry.level === 'error').map((entry) => entry.message)).toEqual([
          expect.stringContaining(`stopped at position ${bad}`),
        ]);
        // Everything before the bad event is committed, nothing after it.
        const queries = new ReadModelQueries(database);
        expect((await queries.conversationDetail('f1'))?.status).toBe('open');
        expect((await queries.conversationDetail('f2'))?.status).toBe('open');
        await projector.stop();

        // Restarted with the same bug: it retries once, stops again at the same event.
        const again = await reopen();
        const retried = projectorOf(
          store,
          again,
          [refusingPosition(new ConversationViewsProjection(), () => bad), new AuditIndexProjection()],
          { logger },
        );
        await retried.start();
        await waitUntil(() => !retried.status()[0].healthy && retried.status()[0].failure?.position === bad, {
          description: 'failed again',
        });
        expect(await retried.waitForPosition(head, 5000)).toBe(false);
        await retried.stop();

        // Restarted with the bug fixed: it applies the event and catches up.
        const fixed = projectorOf(store, again);
        await fixed.start();
        expect(await fixed.waitForPosition(head, 5000)).toBe(true);
        expect(fixed.status().every((status) => status.healthy)).toBe(true);
        expect(await readCheckpoint(database, CONVERSATION_VIEWS_PROJECTION)).toEqual({ position: head });
        await fixed.stop();
        await expectSameAsRebuild(store, database);
      });
    });

    describe('crashes', () => {
      /** A history touching several conversations, long enough for many batches. */
      async function busyHistory(log: ConversationLog, prefix: string, count = 6): Promise<void> {
        for (let index = 0; index < count; index += 1) {
          const id = `${prefix}${index}`;
          await log.open(id, index, { priority: index % 3 });
          await log.pick(id, index + 1, `agent-${index % 2}`);
          await log.customerWrites(id, index + 2);
          if (index % 2 === 0) await log.endByAgent(id, index + 3, `agent-${index % 2}`);
          if (index % 3 === 0) await log.otherStreamEvent();
        }
      }

      it.each([1, 2, 4, 7])(
        'a batch rolled back before its commit (failure at commit #%i, then the process dies) loses and repeats nothing after a restart',
        async (failingCommit) => {
          const { log, store, database, reopen } = await setup();
          await busyHistory(log, 'x');
          let crashed = false;
          const plugin = new FailingCommitPlugin(
            (commit) => commit === failingCommit,
            'before',
            () => {
              crashed = true;
            },
          );
          const dying = projectorOf(store, withPlugin(database, plugin), undefined, { batchSize: 3, retryDelayMs: 60_000 });
          await dying.start();
          await waitUntil(() => crashed && dying.status().some((status) => status.failure?.transient === true), {
            description: 'injected crash reported',
          });
          await dying.stop();

          await busyHistory(log, 'y', 2);
          const restarted = await reopen();
          const projector = projectorOf(store, restarted, undefined, { batchSize: 4 });
          await projector.start();
          expect(await projector.waitForPosition(await store.headPosition(), 5000)).toBe(true);
          await projector.stop();
          await expectSameAsRebuild(store, database);
        },
      );

      it('a commit that succeeded but reported an error is not applied twice on retry', async () => {
        const { log, store, database } = await setup();
        await busyHistory(log, 'z');
        const plugin = new FailingCommitPlugin((commit) => commit === 3 || commit === 6, 'after');
        const logger = capturingLogger();
        const projector = projectorOf(store, withPlugin(database, plugin), undefined, { batchSize: 2, logger });
        await projector.start();
        expect(await projector.waitForPosition(await store.headPosition(), 5000)).toBe(true);
        expect(projector.status().every((status) => status.healthy)).toBe(true);
        expect(logger.messages.some((entry) => entry.level === 'error' && /retrying/.test(entry.message))).toBe(true);
        await projector.stop();
        await expectSameAsRebuild(store, database);
      });

      it('a projection failing after it wrote its rows is rolled back and retried event by event', async () => {
        const { log, store, database } = await setup();
        await busyHistory(log, 'v');
        const views = throwingAfterApply(new ConversationViewsProjection(), (call) => call === 2);
        const audit = throwingAfterApply(new AuditIndexProjection(), (call) => call === 3);
        const timers = throwingAfterApply(new ConversationTimersProjection(), (call) => call === 4);
        const agents = throwingAfterApply(new AgentsAndQueuesProjection(), (call) => call === 5);
        const kpis = throwingAfterApply(new LiveKpisProjection(20_000), (call) => call === 6);
        const projector = projectorOf(store, database, [views, audit, timers, agents, kpis], { batchSize: 5 });
        await projector.start();
        expect(await projector.waitForPosition(await store.headPosition(), 5000)).toBe(true);
        expect(projector.status().every((status) => status.healthy)).toBe(true);
        await projector.stop();
        await expectSameAsRebuild(store, database);
      });

      it('a projection that always fails after writing stops without a partial batch; a fixed restart completes it', async () => {
        const { log, store, database } = await setup();
        await busyHistory(log, 'u');
        const broken = throwingAfterApply(new ConversationViewsProjection(), (call) => call >= 3);
        const projector = projectorOf(store, database, [broken, new AuditIndexProjection()], { batchSize: 4 });
        await projector.start();
        await waitUntil(
          () =>
            byName(projector.status(), CONVERSATION_VIEWS_PROJECTION).failure !== undefined &&
            !byName(projector.status(), CONVERSATION_VIEWS_PROJECTION).failure?.transient,
        );
        const stopped = byName(projector.status(), CONVERSATION_VIEWS_PROJECTION);
        // Two batches of 4 committed, the third failed on its first event.
        expect(stopped.position).toBe(8);
        expect(stopped.failure?.position).toBe(9);
        await projector.stop();
        const restarted = projectorOf(store, database);
        await restarted.start();
        expect(await restarted.waitForPosition(await store.headPosition(), 5000)).toBe(true);
        await restarted.stop();
        await expectSameAsRebuild(store, database);
      });
    });

    describe('two projectors on one database', () => {
      it('take turns on each checkpoint and never apply an event twice', async () => {
        const { log, store, database, reopen } = await setup();
        const other = databases.concurrentHandles ? await reopen() : database;
        const one = projectorOf(store, database, undefined, { batchSize: 3 });
        const two = projectorOf(store, other, undefined, { batchSize: 4 });
        await Promise.all([one.start(), two.start()]);
        for (let index = 0; index < 8; index += 1) {
          await log.open(`t${index}`, index);
          await log.pick(`t${index}`, index + 1, 'agent-1');
          await log.customerWrites(`t${index}`, index + 2);
        }
        const head = await store.headPosition();
        expect(await one.waitForPosition(head, 5000)).toBe(true);
        expect(await two.waitForPosition(head, 5000)).toBe(true);
        expect([...one.status(), ...two.status()]).toEqual([...everyProjectionHealthyAt(head), ...everyProjectionHealthyAt(head)]);
        await Promise.all([one.stop(), two.stop()]);
        await expectSameAsRebuild(store, database);
      });
    });

    describe('rebuild', () => {
      it('rebuilds every view from the log and reports progress up to the head', async () => {
        const { log, store, database } = await setup();
        for (let index = 0; index < 5; index += 1) {
          await log.open(`b${index}`, index);
          await log.pick(`b${index}`, index + 1, 'agent-1');
        }
        await log.otherStreamEvent();
        await projectToHead(store, database);
        const incremental = await dumpViews(database);
        const progress: [number, number][] = [];
        const result = await rebuildReadModels(store, database, {
          batchSize: 3,
          onProgress: (done, total) => progress.push([done, total]),
        });
        const head = await store.headPosition();
        expect(result).toEqual({ events: head, position: head });
        expect(await dumpViews(database)).toEqual(incremental);
        expect(progress[0]).toEqual([0, head]);
        expect(progress[progress.length - 1]).toEqual([head, head]);
        for (let index = 1; index < progress.length; index += 1) {
          expect(progress[index][0]).toBeGreaterThanOrEqual(progress[index - 1][0]);
        }
        expect(progress.length).toBeGreaterThanOrEqual(Math.ceil(head / 3));
      });

      it('swaps in complete views while readers read and a projector projects; the projector goes on without repeating events', async () => {
        const { log, store, database } = await setup();
        const projector = projectorOf(store, database, undefined, { batchSize: 5 });
        await projector.start();
        for (let index = 0; index < 12; index += 1) {
          await log.open(`s${index}`, index);
          await log.pick(`s${index}`, index + 0.5, 'agent-1');
          await log.customerWrites(`s${index}`, index + 0.7);
        }
        expect(await projector.waitForPosition(log.lastPosition, 5000)).toBe(true);
        const conversationsBefore = 12;
        const auditBefore = 36;

        let reading = true;
        const seen: { conversations: number; audit: number }[] = [];
        const reader = (async () => {
          while (reading) {
            const conversations = await database.db
              .selectFrom('conversation_views')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow();
            const audit = await database.db
              .selectFrom('audit_index')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow();
            seen.push({ conversations: Number(conversations.n), audit: Number(audit.n) });
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();

        const lateWrites: Promise<number>[] = [];
        let tick = 0;
        const result = await rebuildReadModels(store, database, {
          batchSize: 4,
          onProgress: () => {
            tick += 1;
            if (tick % 3 === 0) lateWrites.push(log.open(`late${tick}`, 30 + tick));
          },
        });
        await Promise.all(lateWrites);
        await log.open('after', 99);
        await log.pick('s0', 100, 'agent-2').catch(() => undefined);
        const head = await store.headPosition();
        expect(result.position).toBeLessThanOrEqual(head);
        expect(await projector.waitForPosition(head, 5000)).toBe(true);
        reading = false;
        await reader;

        expect(seen.length).toBeGreaterThan(0);
        expect(seen.every((counts) => counts.conversations >= conversationsBefore && counts.audit >= auditBefore)).toBe(true);
        expect(projector.status().every((status) => status.healthy)).toBe(true);
        await projector.stop();
        await expectSameAsRebuild(store, database);
      });

      it('includes events a projector applied to the old tables just before the swap, even when nothing follows', async () => {
        const { log, store, database } = await setup();
        const projector = projectorOf(store, database, undefined, { batchSize: 2 });
        await projector.start();
        await log.open('q1', 0);
        await log.pick('q1', 1, 'agent-1');
        expect(await projector.waitForPosition(log.lastPosition, 5000)).toBe(true);
        // A writer sneaks in after the rebuild's last read and before its swap; the projector
        // applies that event to the old tables before the swap begins.
        let raced = false;
        const racing: EventStore = new (class extends DelegatingEventStore {
          override async readAll(readOptions?: ReadAllOptions) {
            const page = await super.readAll(readOptions);
            if (page.length === 0 && !raced) {
              raced = true;
              await log.customerWrites('q1', 2);
              expect(await projector.waitForPosition(log.lastPosition, 5000)).toBe(true);
            }
            return page;
          }
        })(store);
        const result = await rebuildReadModels(racing, database, { batchSize: 1 });
        expect(raced).toBe(true);
        expect(result.position).toBe(await store.headPosition());
        expect(await projector.waitForPosition(await store.headPosition(), 5000)).toBe(true);
        expect((await new ReadModelQueries(database).myWorkItems('agent-1')).items[0]?.unreadCustomerMessages).toBe(1);
        await projector.stop();
        await expectSameAsRebuild(store, database);
      });

      it('clears a recorded failure; start() resumes the stopped projection', async () => {
        const { log, store, database } = await setup();
        await log.open('h1', 0);
        const bad = await log.pick('h1', 1, 'agent-1');
        await log.customerWrites('h1', 2);
        const projector = projectorOf(store, database, [
          refusingPosition(new ConversationViewsProjection(), () => bad),
          new AuditIndexProjection(),
          new ConversationTimersProjection(),
          new AgentsAndQueuesProjection(),
          new LiveKpisProjection(20_000),
        ]);
        await projector.start();
        await waitUntil(() => !projector.status()[0].healthy, { description: 'failure' });

        await rebuildReadModels(store, database);
        expect(await readCheckpoint(database, CONVERSATION_VIEWS_PROJECTION)).toEqual({ position: await store.headPosition() });
        expect(byName(projector.status(), CONVERSATION_VIEWS_PROJECTION).healthy).toBe(false);
        await projector.start();
        expect(projector.status().every((status) => status.healthy)).toBe(true);
        await log.customerWrites('h1', 3);
        expect(await projector.waitForPosition(await store.headPosition(), 5000)).toBe(true);
        expect(projector.status().every((status) => status.healthy)).toBe(true);
        await projector.stop();
        await expectSameAsRebuild(store, database);
      });

      it('a projector whose checkpoint was moved back (tables reset) replays from it', async () => {
        const { log, store, database } = await setup();
        const projector = projectorOf(store, database, undefined, { batchSize: 4 });
        await projector.start();
        await log.open('m1', 0);
        await log.pick('m1', 1, 'agent-1');
        await log.open('m2', 1);
        expect(await projector.waitForPosition(log.lastPosition, 5000)).toBe(true);
        await runInWriteTransaction(database, async (trx) => {
          for (const table of VIEW_TABLES) await trx.deleteFrom(table).execute();
          await trx.updateTable('projection_checkpoints').set({ position: 0 }).execute();
        });
        await log.customerWrites('m1', 2);
        expect(await projector.waitForPosition(await store.headPosition(), 5000)).toBe(true);
        await projector.stop();
        await expectSameAsRebuild(store, database);
      });

      it('fails loudly, naming the event, when a conversation stream holds an event no projection understands', async () => {
        const { log, store, database } = await setup();
        await log.open('g1', 0);
        await projectToHead(store, database);
        const before = await dumpViews(database);
        await store.appendToStream(
          'conversation-g1',
          [{ id: '5b0c7c5e-0000-4000-8000-000000000001', type: 'ConversationTeleported', data: {} }],
          { expectedRevision: 0 },
        );
        const failure = await rebuildReadModels(store, database).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(RebuildError);
        expect((failure as RebuildError).position).toBe(2);
        expect((failure as RebuildError).eventType).toBe('ConversationTeleported');
        // Nothing was swapped in, nothing left behind.
        expect(await dumpViews(database)).toEqual(before);
      });
    });

    describeWorkDistribution({
      databases,
      propertyRuns: options.propertyRuns,
      setup,
      projectorOf,
      projectToHead,
      expectSameAsRebuild,
      rebuiltFromScratch,
      allPages,
    });

    describe('property: incremental tables equal a rebuild from scratch', () => {
      it('for random histories, appended in chunks, projected with any batch size', async () => {
        await fc.assert(
          fc.asyncProperty(randomHistory(), fc.integer({ min: 1, max: 7 }), async (history, batchSize) => {
            const { database } = await databases.open();
            try {
              await migrateToLatest(database);
              const store = new InMemoryEventStore();
              const projector = new Projector(store, database, createReadModelProjections(), {
                batchSize,
                logger: capturingLogger(),
                retryDelayMs: 5,
              });
              await projector.start();
              try {
                await playHistory(new ConversationLog(store), history, (position) => projector.waitForPosition(position, 5000));
                const head = await store.headPosition();
                expect(await projector.waitForPosition(head, 10_000)).toBe(true);
                expect(projector.status().every((status) => status.healthy)).toBe(true);
              } finally {
                await projector.stop();
              }
              const reference = await rebuiltFromScratch(store);
              expect(await dumpViews(database)).toEqual(reference.dump);
              expect(await checkpointsOf(database)).toEqual(reference.checkpoints);
              await store.close();
            } finally {
              await databases.disposeAll();
            }
          }),
          { numRuns: options.propertyRuns },
        );
      });
    });
  });
}
