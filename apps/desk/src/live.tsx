import { createParser } from 'eventsource-parser';
import { ApiError, type Api } from './api';

/** One change the service says the signed-in principal may see (GET /api/changes): which lists to read again. */
export interface LiveChange {
  position: number;
  type: string;
  at?: string;
  conversationId?: string;
  agentId?: string;
  queueId?: string;
}

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  /**
   * Read what is shown again: `position` is the last change's (use it as minPosition), absent
   * right after (re)connecting, when anything may have changed while no stream was open.
   */
  onChanges(position: number | undefined, changes: LiveChange[]): void;
  onState(state: LiveState): void;
}

/** Changes arriving within this long are answered with one reload. */
const GATHER_MS = 150;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15_000;

/**
 * Follows the service's change stream for as long as the returned stop is not called: fetch
 * (so the token travels in the Authorization header, never in a URL), parsed by
 * eventsource-parser; after a drop it reconnects with Last-Event-ID, backing off up to 15 s. A
 * 401 stops it (the session ended: the desk asks to sign in, then starts a new one).
 */
export function watchChanges(api: Api, handlers: LiveHandlers): () => void {
  const abort = new AbortController();
  let lastId: string | undefined;
  let gathered: LiveChange[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    flushTimer = undefined;
    const changes = gathered;
    gathered = [];
    if (changes.length > 0) handlers.onChanges(changes[changes.length - 1].position, changes);
  };

  const follow = async () => {
    let delay = RETRY_FIRST_MS;
    while (!abort.signal.aborted) {
      handlers.onState(lastId === undefined ? 'connecting' : 'reconnecting');
      try {
        const response = await api.stream('changes', lastId === undefined ? {} : { 'last-event-id': lastId }, abort.signal);
        handlers.onState('live');
        handlers.onChanges(undefined, []);
        delay = RETRY_FIRST_MS;
        const parser = createParser({
          onEvent: (message) => {
            if (message.id !== undefined) lastId = message.id;
            if (message.event !== 'change') return;
            gathered.push(JSON.parse(message.data) as LiveChange);
            flushTimer ??= setTimeout(flush, GATHER_MS);
          },
        });
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
        }
      } catch (error) {
        if (abort.signal.aborted || (error instanceof ApiError && error.statusCode === 401)) return;
      }
      if (abort.signal.aborted) return;
      handlers.onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  };
  void follow();
  return () => {
    abort.abort();
    if (flushTimer !== undefined) clearTimeout(flushTimer);
  };
}
