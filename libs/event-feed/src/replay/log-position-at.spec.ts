import { InMemoryEventStore } from '@lib/event-store';
import { checkpointBefore } from './log-position-at';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 4, 9, minute)).toISOString();

describe('checkpointBefore', () => {
  const store = new InMemoryEventStore();

  beforeAll(async () => {
    for (let minute = 0; minute < 50; minute += 1) {
      await store.appendToStream(
        `queue-q${minute % 7}`,
        [{ id: `00000000-0000-4000-8000-${String(minute).padStart(12, '0')}`, type: 'QueueDefined', data: { at: at(minute) } }],
        { expectedRevision: 'any' },
      );
    }
  });

  it.each([
    ['before the first event', -5, 0],
    ['at the first event', 0, 0],
    ['at an event in the middle', 17, 17],
    ['between two events', 16.5, 17],
    ['at the last event', 49, 49],
  ])(
    'given a log of one event a minute, when replaying from a time %s, then delivery starts at the first event at or after it',
    async (_, minute, expected) => {
      const checkpoint = await checkpointBefore(store, Date.parse(at(0)) + minute * 60_000);
      const [first] = await store.readAll({ after: checkpoint, maxCount: 1 });
      expect(checkpoint).toBe(expected);
      expect(first.data).toEqual({ at: at(expected) });
    },
  );

  it('given a time after every event, when replaying, then nothing is delivered again (the head)', async () => {
    expect(await checkpointBefore(store, Date.parse(at(50)))).toBe(await store.headPosition());
  });

  it('given an empty log, when replaying, then the checkpoint is 0', async () => {
    expect(await checkpointBefore(new InMemoryEventStore(), Date.parse(at(0)))).toBe(0);
  });
});
