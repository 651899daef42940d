/**
 * Test-only: the agents-and-queues projection and WorkDistributionQueries, run by the shared
 * read-model suite against every database kind. Agent histories are written by AgentLog, which
 * also folds them with the domain's evolveAgent: the board is held against that fold.
 */
import { capacityUsage, type AgentState } from '@lib/domain';
import { InMemoryEventStore, type EventStore } from '@lib/event-store';
import { waitUntil } from '@lib/event-store/testing/wait-until';
import fc from 'fast-check';
import type { ReadModelDatabase } from '../database/read-model-database';
import { runInWriteTransaction } from '../database/write-transaction';
import { migrateToLatest } from '../migrations/migrate';
import { AgentsAndQueuesProjection } from '../projections/agents-and-queues.projection';
import { AGENTS_AND_QUEUES_PROJECTION, type Projection } from '../projections/projection';
import { createReadModelProjections } from '../projections/read-model-projections';
import type { Projector, ProjectorOptions } from '../projector/projector';
import { WorkDistributionQueries } from '../queries/work-distribution-queries';
import { MAX_PAGE_LIMIT, type AgentCapacity, type Page, type PageRequest } from '../read-models.types';
import { rebuildReadModels } from '../rebuild/rebuild-read-models';
import { AgentLog } from './agent-log';
import { at, ConversationLog } from './conversation-log';
import { playAgentHistory, randomAgentHistory, RANDOM_AGENTS, RANDOM_QUEUES } from './random-history';
import { checkpointsOf, dumpViews, type ViewDump } from './table-dump';
import type { TestDatabase, TestDatabases } from './read-models.suite';

/** What the shared suite lends these tests (its setup, projector bookkeeping and references). */
export interface WorkDistributionSuiteContext {
  databases: TestDatabases;
  propertyRuns: number;
  setup(): Promise<TestDatabase & { store: EventStore; log: ConversationLog }>;
  projectorOf(store: EventStore, database: ReadModelDatabase, projections?: Projection[], options?: ProjectorOptions): Projector;
  projectToHead(store: EventStore, database: ReadModelDatabase): Promise<void>;
  expectSameAsRebuild(store: EventStore, database: ReadModelDatabase): Promise<void>;
  rebuiltFromScratch(store: EventStore): Promise<{ dump: ViewDump; checkpoints: Record<string, number> }>;
  allPages<T>(fetch: (page: PageRequest) => Promise<Page<T>>, limit: number): Promise<{ items: T[]; pages: number }>;
}

/** The board entry the domain's own fold of the agent's events implies, as of `now`. */
function expectedCapacity(agentId: string, state: AgentState, now: string): AgentCapacity | undefined {
  if (state.status !== 'registered') return undefined;
  const usage = capacityUsage(state, now);
  const expected: AgentCapacity = {
    agentId,
    capacity: state.capacity,
    presence: state.presence,
    presenceSince: state.presenceSince,
    queueIds: state.queueIds,
    used: usage.used,
    blocked: usage.blocked,
    free: usage.free,
    forcedOver: usage.used + usage.blocked > state.capacity,
    claims: Object.values(state.claims)
      .sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : a.conversationId < b.conversationId ? -1 : 1))
      .map(({ conversationId, channel, queueId, units, holding, blockedUntil, forced, since }) => ({
        conversationId,
        channel,
        queueId,
        units,
        holding,
        forced,
        since,
        ...(blockedUntil === undefined ? {} : { blockedUntil }),
      })),
  };
  if (state.lastAssignedAt !== undefined) expected.lastAssignedAt = state.lastAssignedAt;
  return expected;
}

export function describeWorkDistribution(suite: WorkDistributionSuiteContext): void {
  describe('agents and queues', () => {
    async function setup() {
      const context = await suite.setup();
      return { ...context, agents: new AgentLog(context.store), work: new WorkDistributionQueries(context.database) };
    }

    it('keeps each agent, the queues it serves in join order and its claims, as the domain folds its events', async () => {
      const { agents, work, store, database } = await setup();
      await agents.register('agent-1', 0, { capacity: 3, queueIds: ['queue-b', 'queue-a'], presence: 'offline' });
      await suite.projectToHead(store, database);
      // Queues named by one registration joined together: among themselves, by id.
      expect(await work.agentCapacity('agent-1', at(0))).toEqual({
        agentId: 'agent-1',
        capacity: 3,
        presence: 'offline',
        presenceSince: at(0),
        queueIds: ['queue-a', 'queue-b'],
        used: 0,
        blocked: 0,
        free: 3,
        forcedOver: false,
        claims: [],
      });

      await agents.presence('agent-1', 1, 'available');
      await agents.join('agent-1', 2, 'queue-c');
      await agents.leave('agent-1', 3, 'queue-a');
      await agents.join('agent-1', 4, 'queue-a');
      await agents.join('agent-1', 4.5, 'queue-c'); // already served: changes nothing
      await agents.reserve('agent-1', 5, 'c1', { channel: 'live_chat', queueId: 'queue-a', units: 1, conversationRevision: 1 });
      await agents.reserve('agent-1', 6, 'c2', {
        channel: 'voice',
        queueId: 'queue-b',
        units: 2,
        purpose: 'forced',
        conversationRevision: 3,
        reservationId: 'command-7',
      });
      await suite.projectToHead(store, database);
      expect(await work.agentCapacity('agent-1', at(6))).toEqual({
        agentId: 'agent-1',
        capacity: 3,
        presence: 'available',
        presenceSince: at(1),
        queueIds: ['queue-b', 'queue-c', 'queue-a'],
        used: 3,
        blocked: 0,
        free: 0,
        forcedOver: false,
        lastAssignedAt: at(6),
        claims: [
          { conversationId: 'c1', channel: 'live_chat', queueId: 'queue-a', units: 1, holding: 'assigned', forced: false, since: at(5) },
          { conversationId: 'c2', channel: 'voice', queueId: 'queue-b', units: 2, holding: 'assigned', forced: true, since: at(6) },
        ],
      });

      // Capacity lowered under the agent's load; both conversations go to wrap-up.
      await agents.changeCapacity('agent-1', 7, 2);
      await agents.blockForWrapUp('agent-1', 8, 'c1', 20);
      await agents.blockForWrapUp('agent-1', 9, 'c2');
      await suite.projectToHead(store, database);
      expect(await work.agentCapacity('agent-1', at(10))).toMatchObject({
        capacity: 2,
        used: 0,
        blocked: 3,
        free: 0,
        forcedOver: true,
        claims: [
          { conversationId: 'c1', holding: 'wrap_up', blockedUntil: at(20) },
          { conversationId: 'c2', holding: 'wrap_up' },
        ],
      });
      expect((await work.agentCapacity('agent-1', at(10)))?.claims[1]).not.toHaveProperty('blockedUntil');
      // Each claim keeps the request that reserved it, through the rows it was read back from.
      expect(
        await database.db
          .selectFrom('agent_claims')
          .select(['conversation_id', 'reservation_id', 'holding'])
          .orderBy('conversation_id')
          .execute(),
      ).toEqual([
        { conversation_id: 'c1', reservation_id: 'request-agent-1-c1-1', holding: 'wrap_up' },
        { conversation_id: 'c2', reservation_id: 'command-7', holding: 'wrap_up' },
      ]);

      const last = await agents.release('agent-1', 11, 'c2');
      await suite.projectToHead(store, database);
      const board = await work.agentCapacity('agent-1', at(12));
      expect(board).toEqual(expectedCapacity('agent-1', agents.agentState('agent-1'), at(12)));
      expect(board).toMatchObject({ used: 0, blocked: 1, free: 1, forcedOver: false, claims: [{ conversationId: 'c1' }] });
      expect(board?.claims).toHaveLength(1);
      expect(await database.db.selectFrom('agents').selectAll().execute()).toEqual([
        {
          agent_id: 'agent-1',
          capacity: 2,
          presence: 'available',
          presence_since: at(1),
          registered_at: at(0),
          last_assigned_at: at(6),
          position: last,
        },
      ]);
      expect(await work.agentCapacity('agent-2', at(12))).toBeUndefined();
      await expect(work.agentCapacity('', at(12))).rejects.toThrow(/agentId/);
      await expect(work.agentCapacity('agent-1', 'later')).rejects.toThrow(/now/);
      await suite.expectSameAsRebuild(store, database);
    });

    it('counts a wrap-up block until its time is over (free from that instant), one without a time until it is released', async () => {
      const { agents, work, store, database } = await setup();
      await agents.register('agent-1', 0, { capacity: 2, queueIds: ['queue-a'] });
      await agents.reserve('agent-1', 1, 'c1');
      await agents.reserve('agent-1', 2, 'c2');
      await agents.blockForWrapUp('agent-1', 3, 'c1', 20);
      await agents.blockForWrapUp('agent-1', 4, 'c2');
      await suite.projectToHead(store, database);
      const usageAt = async (minute: number) => {
        const { used, blocked, free, forcedOver } = (await work.capacityBoard(at(minute))).items[0];
        return { used, blocked, free, forcedOver };
      };
      expect(await usageAt(19.999)).toEqual({ used: 0, blocked: 2, free: 0, forcedOver: false });
      expect(await usageAt(20)).toEqual({ used: 0, blocked: 1, free: 1, forcedOver: false });
      expect(await usageAt(60 * 24 * 365)).toEqual({ used: 0, blocked: 1, free: 1, forcedOver: false });
      // A time is read as an instant, whatever its zone.
      expect((await work.capacityBoard('2026-03-01T09:19:59.000+01:00')).items[0].blocked).toBe(2);
      for (const minute of [0, 19.999, 20, 21]) {
        expect((await work.capacityBoard(at(minute))).items).toEqual([
          expectedCapacity('agent-1', agents.agentState('agent-1'), at(minute)),
        ]);
      }

      // Taken again (say, revived): assigned, no longer a block with a time.
      await agents.reserve('agent-1', 25, 'c1', { conversationRevision: 7 });
      await suite.projectToHead(store, database);
      expect((await work.agentCapacity('agent-1', at(25)))?.claims).toEqual([
        { conversationId: 'c2', channel: 'persistent_chat', queueId: 'queue-a', units: 1, holding: 'wrap_up', forced: false, since: at(2) },
        {
          conversationId: 'c1',
          channel: 'persistent_chat',
          queueId: 'queue-a',
          units: 1,
          holding: 'assigned',
          forced: false,
          since: at(25),
        },
      ]);
      expect(await usageAt(25)).toEqual({ used: 1, blocked: 1, free: 0, forcedOver: false });
      await suite.expectSameAsRebuild(store, database);
    });

    it('pages through the board by agent id; agents not registered are not on it', async () => {
      const { agents, work, store, database, log } = await setup();
      for (const [index, agentId] of ['agent-3', 'agent-1', 'agent-2', 'agent-10'].entries()) {
        await agents.register(agentId, index, { capacity: index + 1, queueIds: ['queue-a'] });
      }
      await agents.reserve('agent-2', 5, 'c1');
      await log.otherStreamEvent('agent-agent-9'); // an event before any registration: ignored
      await suite.projectToHead(store, database);
      const all = await work.capacityBoard(at(6));
      expect(all.nextCursor).toBeUndefined();
      expect(all.items.map((agent) => [agent.agentId, agent.capacity, agent.used])).toEqual([
        ['agent-1', 2, 0],
        ['agent-10', 4, 0],
        ['agent-2', 3, 1],
        ['agent-3', 1, 0],
      ]);
      for (const limit of [1, 2, 3]) {
        const paged = await suite.allPages((page) => work.capacityBoard(at(6), page), limit);
        expect(paged).toEqual({ items: all.items, pages: Math.ceil(all.items.length / limit) });
      }
      await expect(work.capacityBoard(at(6), { limit: MAX_PAGE_LIMIT + 1 })).rejects.toThrow(/limit/);
      await expect(work.capacityBoard(at(6), { cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
      const queuesCursor = encodeQueuesCursor();
      await expect(work.capacityBoard(at(6), { cursor: queuesCursor })).rejects.toThrow(RangeError);
      await expect(work.capacityBoard('soon')).rejects.toThrow(/now/);
      expect(await work.agentCapacity('agent-9', at(6))).toBeUndefined();
    });

    it('lists the defined queues by priority, then id, with their live conversations and agents counted', async () => {
      const { agents, work, store, database, log } = await setup();
      await agents.defineQueue('queue-a', 0, { name: 'Sales', mode: 'pick', priority: 1 });
      await agents.defineQueue('queue-b', 0, { name: 'Support', mode: 'push', priority: 5, method: 'round_robin' });
      await agents.defineQueue('queue-c', 0, { name: 'VIP', mode: 'push', priority: 1 });
      await agents.defineQueue('queue-c', 1, { priority: 7 }); // settings change: created_at stays
      await log.open('o1', 0);
      await log.open('o2', 1);
      await log.open('a1', 0);
      await log.pick('a1', 1, 'agent-1');
      await log.open('w1', 0);
      await log.pick('w1', 1, 'agent-1');
      await log.closeSession('w1', 2, 'agent-1');
      await log.open('u1', 0);
      await log.pick('u1', 1, 'agent-1');
      await log.endByAgent('u1', 2, 'agent-1');
      await log.open('x1', 0);
      await log.forceClose('x1', 1); // closed: counted as closed (the flat counts GET /api/queues always answered)
      await log.open('b1', 0, { queueId: 'queue-b' });
      await log.open('z1', 0, { queueId: 'queue-undefined' }); // its queue is not defined: not listed
      await agents.register('agent-1', 0, { queueIds: ['queue-a', 'queue-b'] });
      await agents.register('agent-2', 0, { queueIds: ['queue-b'] });
      await agents.register('agent-3', 0, { queueIds: ['queue-b'] });
      await agents.leave('agent-3', 1, 'queue-b');
      await suite.projectToHead(store, database);

      const zero = { open: 0, active: 0, waiting: 0, wrap_up: 0, closed: 0 };
      const queues = await work.queues();
      expect(queues).toEqual({
        items: [
          {
            queueId: 'queue-c',
            name: 'VIP',
            mode: 'push',
            priority: 7,
            method: 'highest_free_capacity',
            createdAt: at(0),
            ...zero,
            agents: 0,
          },
          {
            queueId: 'queue-b',
            name: 'Support',
            mode: 'push',
            priority: 5,
            method: 'round_robin',
            createdAt: at(0),
            ...zero,
            open: 1,
            agents: 2,
          },
          {
            queueId: 'queue-a',
            name: 'Sales',
            mode: 'pick',
            priority: 1,
            method: 'highest_free_capacity',
            createdAt: at(0),
            open: 2,
            active: 1,
            waiting: 1,
            wrap_up: 1,
            closed: 1,
            agents: 1,
          },
        ],
      });
      for (const limit of [1, 2]) {
        const paged = await suite.allPages((page) => work.queues(page), limit);
        expect(paged).toEqual({ items: queues.items, pages: Math.ceil(queues.items.length / limit) });
      }
      expect(await work.queue('queue-a')).toEqual(queues.items[2]);
      expect(await work.queue('queue-undefined')).toBeUndefined();
      await expect(work.queue('')).rejects.toThrow(/queueId/);
      await expect(work.queues({ limit: 0 })).rejects.toThrow(/limit/);

      // A queue with the same priority as another sorts by id; settings changes move it.
      await agents.defineQueue('queue-0', 3, { priority: 5 });
      await agents.defineQueue('queue-c', 4, { priority: 0, mode: 'pick' });
      await suite.projectToHead(store, database);
      expect((await work.queues()).items.map((queue) => `${queue.queueId}:${queue.priority}:${queue.mode}`)).toEqual([
        'queue-0:5:push',
        'queue-b:5:push',
        'queue-a:1:pick',
        'queue-c:0:pick',
      ]);
      await suite.expectSameAsRebuild(store, database);
    });

    it('gives the push router its queues, open items across queues in routing order, and the agents serving them', async () => {
      const { agents, work, store, database, log } = await setup();
      await agents.defineQueue('high', 0, { priority: 5 });
      await agents.defineQueue('low', 0, { priority: 1, method: 'round_robin' });
      await agents.defineQueue('peer', 0, { priority: 1 });
      await agents.defineQueue('picky', 0, { priority: 9, mode: 'pick' });
      await log.open('l1', 0, { queueId: 'low', priority: 9 });
      await log.open('h1', 1, { queueId: 'high', priority: 0 });
      await log.open('h2', 3, { queueId: 'high', priority: 2, channel: 'sms' });
      await log.open('h3', 2, { queueId: 'high', priority: 2 });
      await log.open('h4', 0, { queueId: 'high', priority: 9 });
      await log.pick('h4', 1, 'agent-1'); // no longer open
      await log.open('p1', 1, { queueId: 'peer', priority: 9 });
      await log.open('p2', 0, { queueId: 'peer', priority: 0 });
      await log.open('k1', 0, { queueId: 'picky' });
      await log.open('n1', 0, { queueId: 'nowhere' });
      await agents.register('agent-1', 0, { capacity: 2, queueIds: ['high'] });
      await agents.register('agent-2', 0, { capacity: 3, queueIds: ['peer', 'low'], presence: 'busy' });
      await agents.register('agent-3', 0, { capacity: 1, queueIds: ['peer'] });
      await agents.reserve('agent-1', 1, 'h4', { queueId: 'high' });
      await agents.reserve('agent-2', 1, 'x', { queueId: 'low', units: 2 });
      await agents.blockForWrapUp('agent-2', 2, 'x', 10);
      await suite.projectToHead(store, database);

      expect(await work.pushQueues()).toEqual([
        { queueId: 'high', priority: 5, method: 'highest_free_capacity' },
        { queueId: 'low', priority: 1, method: 'round_robin' },
        { queueId: 'peer', priority: 1, method: 'highest_free_capacity' },
      ]);

      const routing = ['low', 'peer', 'high'];
      const ids = async (queueIds: string[], limit: number) => (await work.openItems(queueIds, limit)).map((item) => item.conversationId);
      expect(await work.openItems(routing, 10)).toEqual([
        { conversationId: 'h3', queueId: 'high', channel: 'persistent_chat', priority: 2, statusSince: at(2) },
        { conversationId: 'h2', queueId: 'high', channel: 'sms', priority: 2, statusSince: at(3) },
        { conversationId: 'h1', queueId: 'high', channel: 'persistent_chat', priority: 0, statusSince: at(1) },
        // One tier (priority 1): the two queues' items merged by item priority, then longest waiting.
        { conversationId: 'l1', queueId: 'low', channel: 'persistent_chat', priority: 9, statusSince: at(0) },
        { conversationId: 'p1', queueId: 'peer', channel: 'persistent_chat', priority: 9, statusSince: at(1) },
        { conversationId: 'p2', queueId: 'peer', channel: 'persistent_chat', priority: 0, statusSince: at(0) },
      ]);
      expect(await ids(routing, 2)).toEqual(['h3', 'h2']);
      expect(await ids(routing, 3)).toEqual(['h3', 'h2', 'h1']);
      expect(await ids(routing, 5)).toEqual(['h3', 'h2', 'h1', 'l1', 'p1']);
      expect(await ids(['peer', 'low', 'peer'], 10)).toEqual(['l1', 'p1', 'p2']);
      // Any defined queue may be asked for; one that is not defined has no priority and no items.
      expect(await ids(['picky', 'nowhere'], 10)).toEqual(['k1']);
      expect(await ids([], 10)).toEqual([]);
      await expect(work.openItems(routing, 0)).rejects.toThrow(/limit/);
      await expect(work.openItems([''], 1)).rejects.toThrow(/queueIds/);

      expect(await work.agentsServing(['high', 'low'], at(5))).toEqual([
        {
          agentId: 'agent-1',
          capacity: 2,
          presence: 'available',
          presenceSince: at(0),
          queueIds: ['high'],
          used: 1,
          blocked: 0,
          free: 1,
          forcedOver: false,
          lastAssignedAt: at(1),
        },
        {
          agentId: 'agent-2',
          capacity: 3,
          presence: 'busy',
          presenceSince: at(0),
          queueIds: ['low', 'peer'],
          used: 0,
          blocked: 2,
          free: 1,
          forcedOver: false,
          lastAssignedAt: at(1),
        },
      ]);
      expect((await work.agentsServing(['low'], at(10))).map(({ agentId, free }) => [agentId, free])).toEqual([['agent-2', 3]]);
      expect((await work.agentsServing(['peer'], at(10))).map((agent) => agent.agentId)).toEqual(['agent-2', 'agent-3']);
      expect(await work.agentsServing(['picky'], at(10))).toEqual([]);
      expect(await work.agentsServing([], at(10))).toEqual([]);
      await expect(work.agentsServing(['high'], 'now')).rejects.toThrow(/now/);
    });

    it('rebuildReadModels rebuilds these tables too, with the checkpoint at the head; projecting event by event gives the same rows', async () => {
      const { agents, work, store, database } = await setup();
      await agents.defineQueue('queue-a', 0, { priority: 2 });
      await agents.register('agent-1', 0, { queueIds: ['queue-a'] });
      await agents.reserve('agent-1', 1, 'c1');
      await agents.defineQueue('queue-a', 2, { priority: 3 });
      await agents.blockForWrapUp('agent-1', 3, 'c1', 5);
      await agents.register('agent-2', 4, { capacity: 1, queueIds: ['queue-b', 'queue-a'] });
      const head = await store.headPosition();

      // Never projected: the rebuild alone fills the tables.
      const result = await rebuildReadModels(store, database, { batchSize: 2 });
      expect(result.position).toBe(head);
      expect((await checkpointsOf(database))[AGENTS_AND_QUEUES_PROJECTION]).toBe(head);
      expect((await work.capacityBoard(at(4))).items.map((agent) => [agent.agentId, agent.blocked, agent.queueIds])).toEqual([
        ['agent-1', 1, ['queue-a']],
        ['agent-2', 0, ['queue-a', 'queue-b']],
      ]);
      expect((await work.queue('queue-a'))?.priority).toBe(3);
      const rebuilt = await dumpViews(database);
      expect(rebuilt.agents).toHaveLength(2);
      expect(rebuilt.agent_queues).toHaveLength(3);
      expect(rebuilt.agent_claims).toHaveLength(1);
      expect(rebuilt.queues).toHaveLength(1);

      // One event per batch on another database: the same rows.
      const other = await suite.databases.open();
      await migrateToLatest(other.database);
      const projector = suite.projectorOf(store, other.database, createReadModelProjections(), { batchSize: 1 });
      await projector.start();
      expect(await projector.waitForPosition(head, 5000)).toBe(true);
      await projector.stop();
      expect(await dumpViews(other.database)).toEqual(rebuilt);
      await suite.expectSameAsRebuild(store, other.database);
    });

    it('ignores events of agents not registered yet; stops, naming the event, at one it cannot apply', async () => {
      const cases: { stream: string; event: { type: string; data: Record<string, unknown> }; message: RegExp }[] = [
        {
          stream: 'agent-agent-1',
          event: {
            type: 'AgentPresenceChanged',
            data: {
              agentId: 'agent-1',
              at: 'soon',
              by: { kind: 'agent', id: 'agent-1' },
              reason: 'x',
              presence: 'away',
              previous: 'available',
            },
          },
          message: /presence time of agent agent-1 is not an ISO-8601 time/,
        },
        {
          stream: 'agent-agent-1',
          event: {
            type: 'AgentCapacityChanged',
            data: { agentId: 'agent-1', at: at(2), by: { kind: 'agent', id: 'agent-1' }, reason: 'x', capacity: 'lots', previous: 3 },
          },
          message: /capacity of agent agent-1 must be an integer/,
        },
        {
          stream: 'agent-agent-1',
          event: { type: 'AgentTeleported', data: {} },
          message: /Unknown event type AgentTeleported in agent-agent-1@2/,
        },
        {
          stream: 'queue-queue-a',
          event: { type: 'AgentPresenceChanged', data: {} },
          message: /Unknown event type AgentPresenceChanged in queue-queue-a@1/,
        },
      ];
      for (const { stream, event, message } of cases) {
        const { agents, store, database } = await setup();
        await agents.agentEvent('agent-1', 0, { type: 'AgentPresenceChanged', data: { presence: 'busy', previous: 'offline' } });
        await agents.register('agent-1', 1, { queueIds: ['queue-a'] });
        await agents.defineQueue('queue-a', 1);
        const bad = await agents.appendRaw(stream, [event]);
        await agents.join('agent-1', 3, 'queue-b');
        const projector = suite.projectorOf(store, database, [new AgentsAndQueuesProjection()], { batchSize: 10 });
        await projector.start();
        await waitUntil(() => projector.status()[0].failure !== undefined && projector.status()[0].failure?.transient !== true, {
          description: 'agents and queues stopped',
        });
        const [status] = projector.status();
        expect(status).toMatchObject({
          name: AGENTS_AND_QUEUES_PROJECTION,
          position: bad - 1,
          healthy: false,
          failure: { position: bad, eventType: event.type },
        });
        expect(status.failure?.message).toMatch(message);
        await projector.stop();
        // Everything before it is in: the agent registered (its event before registration ignored), the queue defined.
        const work = new WorkDistributionQueries(database);
        expect(await work.agentCapacity('agent-1', at(3))).toMatchObject({
          presence: 'available',
          presenceSince: at(1),
          queueIds: ['queue-a'],
        });
        expect((await work.queues()).items.map((queue) => queue.queueId)).toEqual(['queue-a']);
      }
    });

    it('refuses an agent or queue event that is already folded in', async () => {
      const { agents, store, database } = await setup();
      await agents.register('agent-1', 0);
      await agents.defineQueue('queue-a', 0);
      const projection = new AgentsAndQueuesProjection();
      for (const event of await store.readAll({ after: 0, maxCount: 10 })) {
        await runInWriteTransaction(database, (trx) => projection.apply(trx, [event]));
        await expect(runInWriteTransaction(database, (trx) => projection.apply(trx, [event]))).rejects.toThrow(/already folded in/);
      }
    });

    it('property: for random agent and queue histories, projected in any batches, the tables equal a rebuild and the board the domain fold', async () => {
      await fc.assert(
        fc.asyncProperty(
          randomAgentHistory(),
          fc.integer({ min: 1, max: 7 }),
          fc.integer({ min: 0, max: 40 }),
          async (history, batchSize, later) => {
            const { database } = await suite.databases.open();
            const store = new InMemoryEventStore();
            try {
              await migrateToLatest(database);
              const agents = new AgentLog(store);
              const projector = suite.projectorOf(store, database, createReadModelProjections(), { batchSize });
              await projector.start();
              let end: number;
              try {
                end = await playAgentHistory(agents, history, (position) => projector.waitForPosition(position, 5000));
                expect(await projector.waitForPosition(await store.headPosition(), 10_000)).toBe(true);
                expect(projector.status().every((status) => status.healthy)).toBe(true);
              } finally {
                await projector.stop();
              }
              const reference = await suite.rebuiltFromScratch(store);
              expect(await dumpViews(database)).toEqual(reference.dump);
              expect(await checkpointsOf(database)).toEqual(reference.checkpoints);

              const work = new WorkDistributionQueries(database);
              for (const now of [at(end), at(end + later / 2), at(end + later)]) {
                const expected = RANDOM_AGENTS.map((agentId) => expectedCapacity(agentId, agents.agentState(agentId), now)).filter(
                  (agent) => agent !== undefined,
                );
                expect((await work.capacityBoard(now, { limit: MAX_PAGE_LIMIT })).items).toEqual(expected);
                const serving = await work.agentsServing(RANDOM_QUEUES, now);
                expect(serving).toEqual(
                  expected.filter((agent) => agent.queueIds.length > 0).map(({ claims: _claims, ...agent }) => agent),
                );
              }
            } finally {
              await store.close();
              await suite.databases.disposeAll();
            }
          },
        ),
        { numRuns: suite.propertyRuns },
      );
    });
  });
}

/** A valid cursor of another list (the queue list), to show the board refuses it. */
function encodeQueuesCursor(): string {
  return Buffer.from(JSON.stringify({ l: 'queues', k: [1, 'queue-a'] }), 'utf8').toString('base64url');
}
