/**
 * advanceQueueSession, given/when/then: conversations written by the domain's decider into a
 * log (ConversationLog), folded with evolve, then advanced event by event. Minutes from T0.
 */
import { InMemoryEventStore } from '@lib/event-store';
import { ConversationLog, MINUTE, T0 } from '../../testing/conversation-log';
import { foldConversationEvents } from '../conversation-fold';
import { advanceQueueSession, newQueueSessionTrack, type QueueFact, type QueueSessionTrack } from './queue-session';

const ms = (minutes: number) => Date.parse(T0) + minutes * MINUTE;

/** Writes the history with the log, then folds and advances every event; answers the facts and last tracks. */
async function given(history: (log: ConversationLog) => Promise<unknown>) {
  const store = new InMemoryEventStore();
  const log = new ConversationLog(store);
  await history(log);
  const events = await store.readAll({ after: 0, maxCount: 1000 });
  const { steps } = foldConversationEvents(events, new Map());
  const tracks = new Map<string, QueueSessionTrack>();
  const facts: Array<QueueFact & { conversationId: string }> = [];
  for (const { event, conversationId, before, after } of steps) {
    const advanced = advanceQueueSession(tracks.get(conversationId) ?? newQueueSessionTrack(), event, before, after);
    tracks.set(conversationId, advanced.track);
    facts.push(...advanced.facts.map((fact) => ({ ...fact, conversationId })));
  }
  return { facts, tracks };
}

const fact = (kind: QueueFact['kind'], queueId: string, minute: number, agentId: string | null, durationMinutes: number | null) => ({
  kind,
  queueId,
  atMs: ms(minute),
  agentId,
  durationMs: durationMinutes === null ? null : durationMinutes * MINUTE,
});

describe('advanceQueueSession', () => {
  it('a pick answers the wait since opening; end and close make it handled with active + wrap-up time', async () => {
    const { facts } = await given(async (log) => {
      await log.open('c', 0);
      await log.pick('c', 3, 'ann');
      await log.endByAgent('c', 10, 'ann');
      await log.closeSession('c', 12, 'ann');
    });
    expect(facts).toEqual([
      expect.objectContaining(fact('answered', 'queue-a', 3, 'ann', 3)),
      expect.objectContaining(fact('handled', 'queue-a', 12, 'ann', 9)),
    ]);
  });

  it('a push is not an answer; its acceptance is, and the wait counts from opening, through a rejected push', async () => {
    const { facts } = await given(async (log) => {
      await log.open('c', 0);
      await log.push('c', 1, 'ann');
      await log.run('c', 2, { type: 'RejectAssignment', data: { agentId: 'ann' } });
      await log.push('c', 4, 'bob');
      await log.accept('c', 5, 'bob');
    });
    expect(facts).toEqual([expect.objectContaining(fact('answered', 'queue-a', 5, 'bob', 5))]);
  });

  it('released to the queue, a new wait starts; answered twice, handled once with both agents’ time', async () => {
    const { facts } = await given(async (log) => {
      await log.open('c', 0);
      await log.pick('c', 1, 'ann');
      await log.release('c', 4, 'ann');
      await log.pick('c', 10, 'bob');
      await log.endByAgent('c', 12, 'bob');
      await log.closeSession('c', 13, 'bob');
    });
    expect(facts).toEqual([
      expect.objectContaining(fact('answered', 'queue-a', 1, 'ann', 1)),
      expect.objectContaining(fact('answered', 'queue-a', 10, 'bob', 6)),
      expect.objectContaining(fact('handled', 'queue-a', 13, 'bob', 3 + 3)),
    ]);
  });

  it('a transfer to another queue counts for the queue it leaves, and the wait in the new queue starts then', async () => {
    const { facts } = await given(async (log) => {
      await log.open('c', 0);
      await log.pick('c', 1, 'ann');
      await log.transferToQueue('c', 5, 'ann', 'queue-b');
      await log.pick('c', 7, 'bob');
    });
    expect(facts).toEqual([
      expect.objectContaining(fact('answered', 'queue-a', 1, 'ann', 1)),
      expect.objectContaining(fact('transferred', 'queue-a', 5, 'ann', null)),
      expect.objectContaining(fact('answered', 'queue-b', 7, 'bob', 2)),
    ]);
  });

  it('a transfer to an agent is no new wait; handle time runs on across both agents', async () => {
    const { facts } = await given(async (log) => {
      await log.open('c', 0);
      await log.pick('c', 1, 'ann');
      await log.transferToAgent('c', 4, 'ann', 'bob');
      await log.endByAgent('c', 6, 'bob');
      await log.closeSession('c', 7, 'bob');
    });
    expect(facts).toEqual([
      expect.objectContaining(fact('answered', 'queue-a', 1, 'ann', 1)),
      expect.objectContaining(fact('transferred', 'queue-a', 4, 'ann', null)),
      expect.objectContaining(fact('handled', 'queue-a', 7, 'bob', 6)),
    ]);
  });

  it('closed while the customer waits (in the queue or for a push to be accepted) is abandoned, never handled', async () => {
    const { facts } = await given(async (log) => {
      await log.open('q', 0);
      await log.forceClose('q', 2);
      await log.open('p', 0, { channel: 'live_chat' });
      await log.push('p', 1, 'ann');
      await log.run('p', 3, { type: 'EndConversation', data: { by: 'customer' } });
    });
    expect(facts).toEqual([
      expect.objectContaining({ ...fact('abandoned', 'queue-a', 2, null, 2), conversationId: 'q' }),
      expect.objectContaining({ ...fact('abandoned', 'queue-a', 3, null, 3), conversationId: 'p' }),
    ]);
  });

  it('an event stamped before the wait began (a skewed writer clock) counts no time, never negative', async () => {
    const { facts } = await given(async (log) => {
      await log.open('c', 10);
      await log.pick('c', 8, 'ann');
    });
    expect(facts).toEqual([expect.objectContaining(fact('answered', 'queue-a', 8, 'ann', 0))]);
  });
});
