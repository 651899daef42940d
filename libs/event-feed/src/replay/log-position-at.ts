import type { EventStore, RecordedEvent } from '@lib/event-store';

const timeOf = (event: RecordedEvent): number => {
  const at = (event.data as { at?: unknown } | null)?.at;
  return typeof at === 'string' ? Date.parse(at) : NaN;
};

/**
 * The checkpoint to deliver again from a time: the position just before the first event of the
 * log recorded at or after `timeMs` (the head when there is none). A binary search over
 * positions, reading one event per step (about 40 reads for a log of a trillion positions),
 * relying on event times following commit order, which they do but for commands racing within
 * a few milliseconds. Works on positions that are not contiguous (EventStoreDB's).
 */
export async function checkpointBefore(store: EventStore, timeMs: number): Promise<number> {
  const head = await store.headPosition();
  let low = 0;
  let high = head;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const [next] = await store.readAll({ after: middle, maxCount: 1 });
    // No event after middle, or it is at/after the time (an event without a time counts as after): look lower.
    if (next === undefined || !(timeOf(next) < timeMs)) high = middle;
    else low = next.position;
  }
  return low;
}
