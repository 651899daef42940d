import type { EventStore } from '@lib/event-store';
import { RequestValidationError } from '../http/request-validation.error';

/**
 * Where an event stream starts (exclusive): right after the Last-Event-ID a reconnecting client
 * sends, else after `after`, else after the log's head (only what comes next). A Last-Event-ID
 * that is not a log position is a 400 naming it.
 */
export async function streamStartAfter(store: EventStore, lastEventId: string | undefined, after: number | undefined): Promise<number> {
  if (lastEventId !== undefined && lastEventId !== '') {
    if (!/^\d{1,15}$/.test(lastEventId)) {
      throw new RequestValidationError([
        { field: 'Last-Event-ID', messages: ['Last-Event-ID must be the id of the last message received (a log position)'] },
      ]);
    }
    return Number(lastEventId);
  }
  return after ?? (await store.headPosition());
}
