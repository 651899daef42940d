import { DEFAULT_CONVERSATION_POLICY, type ConversationCommand } from '@lib/domain';
import { InMemoryEventStore, type EventStore } from '@lib/event-store';
import { DelegatingEventStore } from '@lib/event-store';
import { IdempotencyKeyReusedError, RevisionMismatchError } from './conversation-command.errors';
import { DEFAULT_COMMAND_RETRY } from '../shared/command-retry';
import { HandleConversationCommand, HandleConversationCommandHandler } from './handle-conversation-command';
import { conversationStream } from '@lib/domain';

const ID = 'c-1';
let clock = Date.parse('2026-01-01T00:00:00.000Z');
const now = () => ({ now: new Date((clock += 1000)).toISOString() });

const open: () => ConversationCommand = () => ({
  type: 'OpenConversation',
  data: { conversationId: ID, channel: 'sms', queueId: 'support', customerId: 'cust-1', priority: 0 },
  metadata: now(),
});
const pick = (agentId: string): ConversationCommand => ({ type: 'PickConversation', data: { agentId }, metadata: now() });
const release = (agentId: string): ConversationCommand => ({ type: 'ReleaseConversation', data: { agentId }, metadata: now() });
const message = (): ConversationCommand => ({ type: 'RecordMessage', data: { from: 'customer' }, metadata: now() });

/** Two handlers over one store: two service instances, each with its own cache. */
const twoInstances = () => {
  const store = new InMemoryEventStore();
  const handler = () => new HandleConversationCommandHandler(store, DEFAULT_CONVERSATION_POLICY, DEFAULT_COMMAND_RETRY);
  let key = 0;
  const run = (h: HandleConversationCommandHandler, command: ConversationCommand, options: { key?: string; ifMatch?: number } = {}) =>
    h.execute(new HandleConversationCommand(ID, command, options.key ?? `k-${++key}`, options.ifMatch));
  return { store, a: handler(), b: handler(), run, history: () => store.readStream(conversationStream(ID)) };
};

describe('HandleConversationCommandHandler with a cache per instance', () => {
  it('a command decided on a stale cached state is re-decided on the stream after the revision check fails', async () => {
    const { a, b, run, history } = twoInstances();
    await run(a, open());
    await run(b, message()); // a's cache still says revision 0
    const result = await run(a, pick('agent-1'));
    expect(result).toMatchObject({ status: 'active', revision: 2, applied: true });
    expect((await history()).map((e) => e.type)).toEqual(['ConversationOpened', 'CustomerMessageReceived', 'ConversationPicked']);
  });

  it('a refusal found on a stale cached state is checked against the stream before it is answered', async () => {
    const { a, b, run } = twoInstances();
    await run(a, open());
    await run(a, pick('agent-1')); // a caches "active"
    await run(b, release('agent-1')); // the stream says "open" again
    await expect(run(a, pick('agent-2'))).resolves.toMatchObject({ status: 'active', revision: 3 });
  });

  it('a refusal that the stream confirms is answered', async () => {
    const { a, run } = twoInstances();
    await run(a, open());
    await run(a, pick('agent-1'));
    await expect(run(a, pick('agent-2'))).rejects.toMatchObject({ code: 'CONVERSATION.TRANSITION_NOT_ALLOWED', status: 'active' });
  });

  it('a key already applied by another instance gets the same answer and is not applied twice', async () => {
    const { a, b, run, history } = twoInstances();
    await run(a, open());
    const first = await run(b, pick('agent-1'), { key: 'pick-once' });
    const again = await run(a, pick('agent-1'), { key: 'pick-once' });
    // Decided on the same base revision, the retry carries the same event ids; the store says it
    // recognised them, so the answer is the original one, marked as a replay.
    expect(again).toEqual({ ...first, applied: false });
    expect(await history()).toHaveLength(2);
  });

  it('a key that another instance applied on a later revision than this cache holds is answered as a replay', async () => {
    const { a, b, run, history } = twoInstances();
    await run(a, open()); // a caches revision 0
    await run(b, message());
    const first = await run(b, pick('agent-1'), { key: 'pick-once' }); // written at revision 2
    const again = await run(a, pick('agent-1'), { key: 'pick-once' });
    expect(again).toEqual({ ...first, applied: false });
    expect(await history()).toHaveLength(3);
  });

  it('a retry that a stale cache decides differently from the original is answered from the stream', async () => {
    const { a, b, run, history } = twoInstances();
    const closeSession = (agentId: string): ConversationCommand => ({ type: 'CloseSession', data: { agentId }, metadata: now() });
    const revive = (agentId: string): ConversationCommand => ({ type: 'ReviveConversation', data: { agentId }, metadata: now() });
    await run(a, open());
    await run(a, pick('agent-1'));
    await run(a, closeSession('agent-1')); // a caches "waiting"
    await run(b, revive('agent-1'));
    const first = await run(b, message(), { key: 'msg-1' }); // one event on an active conversation
    // On a's stale "waiting" state the same message would also revive it to the queue: two events.
    const again = await run(a, message(), { key: 'msg-1' });
    expect(again).toEqual({ ...first, applied: false });
    expect((await history()).map((e) => e.type)).toEqual([
      'ConversationOpened',
      'ConversationPicked',
      'ConversationParked',
      'ConversationRevivedByAgent',
      'CustomerMessageReceived',
    ]);
  });

  it('a key reused for another command on another instance is refused', async () => {
    const { a, b, run } = twoInstances();
    await run(a, open());
    await run(b, pick('agent-1'), { key: 'shared' });
    await expect(run(a, pick('agent-2'), { key: 'shared' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('a pinned revision newer than the cache is checked against the stream', async () => {
    const { a, b, run } = twoInstances();
    await run(a, open());
    await run(b, message()); // revision 1, a's cache says 0
    await expect(run(a, pick('agent-1'), { ifMatch: 1 })).resolves.toMatchObject({ status: 'active', revision: 2 });
  });

  it('a pinned revision that the stream has moved past answers a mismatch with the actual revision', async () => {
    const { a, b, run } = twoInstances();
    await run(a, open());
    await run(b, message());
    await expect(run(a, pick('agent-1'), { ifMatch: 0 })).rejects.toMatchObject({
      constructor: RevisionMismatchError,
      expectedRevision: 0,
      actualRevision: 1,
    });
  });

  it('keeps answering from the stream when its cache holds only one conversation', async () => {
    const store = new InMemoryEventStore();
    const handler = new HandleConversationCommandHandler(store, DEFAULT_CONVERSATION_POLICY, {
      ...DEFAULT_COMMAND_RETRY,
      cachedConversations: 1,
    });
    const openOther = (id: string) =>
      handler.execute(
        new HandleConversationCommand(
          id,
          { ...open(), data: { ...(open().data as object), conversationId: id } } as ConversationCommand,
          `open-${id}`,
        ),
      );
    await openOther('x');
    await openOther('y'); // evicts x
    await expect(handler.execute(new HandleConversationCommand('x', pick('agent-1'), 'pick-x'))).resolves.toMatchObject({
      status: 'active',
      revision: 1,
    });
    await expect(openOther('x')).resolves.toMatchObject({ applied: false, status: 'open', revision: 0 });
  });

  it('the same timer expiry sent by two instances at different times is appended once', async () => {
    const store = new InMemoryEventStore();
    const a = new HandleConversationCommandHandler(store, DEFAULT_CONVERSATION_POLICY, DEFAULT_COMMAND_RETRY);
    // b reads the stream, then a appends the expiry before b appends its own: the same command
    // (same id, same duration) decided a millisecond later, so its events carry another time.
    let betweenReadAndAppend: (() => Promise<unknown>) | undefined;
    const racingStore: EventStore = new (class extends DelegatingEventStore {
      override async readStream(...args: Parameters<EventStore['readStream']>) {
        const read = await super.readStream(...args);
        const interleave = betweenReadAndAppend;
        betweenReadAndAppend = undefined;
        await interleave?.();
        return read;
      }
    })(store);
    const b = new HandleConversationCommandHandler(racingStore, DEFAULT_CONVERSATION_POLICY, DEFAULT_COMMAND_RETRY);
    await a.execute(new HandleConversationCommand(ID, open(), 'open'));
    const pushed = await a.execute(
      new HandleConversationCommand(
        ID,
        {
          type: 'AssignConversation',
          data: { agentId: 'agent-1', force: false, by: { kind: 'system', id: 'routing' } },
          metadata: now(),
        },
        'assign',
      ),
    );
    const pushedAt = (await store.readStream(conversationStream(ID)))[pushed.revision].data as { at: string };
    const expiry = (lateByMs: number): ConversationCommand => ({
      type: 'ExpirePushReservation',
      data: { timeoutMs: 120_000 },
      metadata: { now: new Date(Date.parse(pushedAt.at) + 120_000 + lateByMs).toISOString() },
    });
    const timerId = `timer:push_reservation:active:${pushedAt.at}`;
    betweenReadAndAppend = () => a.execute(new HandleConversationCommand(ID, expiry(0), timerId));

    const fromB = await b.execute(new HandleConversationCommand(ID, expiry(1), timerId));

    expect(fromB).toMatchObject({ applied: false, status: 'open', revision: 2 });
    const types = (await store.readStream(conversationStream(ID))).map((event) => event.type);
    expect(types).toEqual(['ConversationOpened', 'ConversationPushedToAgent', 'ConversationPushReservationExpired']);
  });
});
