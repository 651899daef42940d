import { agent, customer, supervisor, system, type ConversationEvent } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { ReadModelSchema } from '../database/read-model-schema';
import { TableRenamePlugin } from '../database/table-rename-plugin';
import { agentsConcernedBy } from './audit-index.projection';
import { canonicalJson, conversationIdsOf, foldConversationEvents, isoTime } from './conversation-fold';
import { conversationIdOfStream } from '@lib/domain';

const AT = '2026-03-01T08:00:00.000Z';
let position = 0;
const recorded = (streamName: string, revision: number, type: string, data: Record<string, unknown>): RecordedEvent => ({
  id: `id-${++position}`,
  streamName,
  type,
  data,
  metadata: {},
  revision,
  position,
});
const opened = (id: string, revision = 0) =>
  recorded(`conversation-${id}`, revision, 'ConversationOpened', {
    conversationId: id,
    at: AT,
    by: customer('cu'),
    reason: 'customer_started',
    channel: 'sms',
    queueId: 'q',
    customerId: 'cu',
    priority: 0,
  });
const picked = (id: string, revision: number, agentId: string) =>
  recorded(`conversation-${id}`, revision, 'ConversationPicked', {
    conversationId: id,
    at: AT,
    by: agent(agentId),
    reason: 'agent_picked_from_queue',
    agentId,
    queueId: 'q',
  });

describe('stream names', () => {
  it('take the conversation id from conversation-<id> and ignore other streams', () => {
    expect(conversationIdOfStream('conversation-abc-1')).toBe('abc-1');
    expect(conversationIdOfStream('conversation-')).toBeUndefined();
    expect(conversationIdOfStream('agent-1')).toBeUndefined();
    expect(conversationIdsOf([opened('a'), recorded('agent-1', 0, 'X', {}), picked('a', 1, 'ag'), opened('b')])).toEqual(['a', 'b']);
  });
});

describe('folding a batch with the domain evolve', () => {
  it('folds in position order from the stored states and skips other streams', () => {
    const { steps, latest } = foldConversationEvents(
      [opened('a'), recorded('queue-q', 0, 'QueueCreated', {}), picked('a', 1, 'agent-1')],
      new Map(),
    );
    expect(steps.map((step) => [step.before.status, step.after.status])).toEqual([
      ['none', 'open'],
      ['open', 'active'],
    ]);
    expect(latest.get('a')).toMatchObject({ revision: 1, state: { status: 'active', agentId: 'agent-1' } });
  });

  it('refuses an unknown type in a conversation stream, a missing or repeated revision, and an event before the opening', () => {
    expect(() => foldConversationEvents([recorded('conversation-a', 0, 'ConversationTeleported', {})], new Map())).toThrow(
      /Unknown conversation event type ConversationTeleported in conversation-a@0/,
    );
    expect(() => foldConversationEvents([opened('a'), picked('a', 2, 'x')], new Map())).toThrow(/expected revision 1, got 2/);
    expect(() => foldConversationEvents([opened('a'), opened('a', 0)], new Map())).toThrow(/expected revision 1, got 0/);
    expect(() => foldConversationEvents([picked('a', 0, 'x')], new Map())).toThrow(/never opened/);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members, so one state always has one text', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1, z: undefined }));
  });

  it('normalises event times and refuses non-times', () => {
    expect(isoTime('2026-03-01T09:30:00+01:00', 'at')).toBe('2026-03-01T08:30:00.000Z');
    expect(() => isoTime(42, 'at of x')).toThrow(/at of x is not an ISO-8601 time/);
  });
});

describe('agents an audit entry concerns', () => {
  const stateAfter = (events: RecordedEvent[]) => {
    const state = foldConversationEvents(events, new Map()).latest.get('a')?.state;
    if (state === undefined) throw new Error('no state');
    return state;
  };
  const open = stateAfter([opened('a')]);
  const active = stateAfter([opened('a'), picked('a', 1, 'agent-1')]);
  const activeWith2 = stateAfter([opened('a'), picked('a', 1, 'agent-2')]);
  const event = (type: string, by: ReturnType<typeof agent>, extra: Record<string, unknown> = {}) =>
    ({ type, data: { conversationId: 'a', at: AT, by, reason: 'r', ...extra } }) as unknown as ConversationEvent;

  it('are the acting agent, the holder before and after, and every agent the event names', () => {
    expect(
      agentsConcernedBy({
        event: event('ConversationPushedToAgent', system('routing'), { agentId: 'agent-2' }),
        before: open,
        after: activeWith2,
      }),
    ).toEqual(['agent-2']);
    expect(agentsConcernedBy({ event: event('CustomerMessageReceived', customer('cu')), before: active, after: active })).toEqual([
      'agent-1',
    ]);
    expect(
      agentsConcernedBy({
        event: event('ConsultStarted', agent('agent-1'), { agentId: 'agent-1', consultantId: 'agent-3' }),
        before: active,
        after: active,
      }),
    ).toEqual(['agent-1', 'agent-3']);
    expect(
      agentsConcernedBy({
        event: event('ConversationTransferredToAgent', agent('agent-1'), { fromAgentId: 'agent-1', toAgentId: 'agent-2' }),
        before: active,
        after: activeWith2,
      }),
    ).toEqual(['agent-1', 'agent-2']);
    expect(
      agentsConcernedBy({ event: event('MonitoringStarted', supervisor('sv'), { supervisorId: 'sv' }), before: open, after: open }),
    ).toEqual([]);
  });
});

describe('TableRenamePlugin', () => {
  const db = new Kysely<ReadModelSchema>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => new SqliteIntrospector(kysely),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  }).withPlugin(new TableRenamePlugin({ conversation_views: 'conversation_views_next', audit_index: 'audit_index_next' }));

  it('points reads, upserts, qualified references and DDL at the renamed tables, leaving others alone', () => {
    const upsert = db
      .insertInto('conversation_views')
      .values({
        conversation_id: 'a',
        state: '{}',
        status: 'open',
        queue_id: 'q',
        channel: 'sms',
        customer_id: 'c',
        priority: 0,
        status_since: AT,
        opened_at: AT,
        unread_customer_messages: 0,
        revision: 0,
        position: 1,
      })
      .onConflict((conflict) => conflict.column('conversation_id').doUpdateSet((eb) => ({ state: eb.ref('excluded.state') })))
      .compile().sql;
    expect(upsert).toContain('insert into "conversation_views_next"');
    expect(upsert).toContain('"excluded"."state"');

    const join = db
      .selectFrom('audit_index_agents as a')
      .innerJoin('audit_index as i', 'i.position', 'a.position')
      .select(['i.position', 'audit_index.type' as 'i.type'])
      .compile().sql;
    expect(join).toContain('from "audit_index_agents" as "a" inner join "audit_index_next" as "i"');
    expect(join).toContain('"audit_index_next"."type"');

    expect(db.schema.createIndex('ix').on('conversation_views').column('status').compile().sql).toBe(
      'create index "ix" on "conversation_views_next" ("status")',
    );
  });
});
