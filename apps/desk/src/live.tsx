import { createParser } from 'eventsource-parser';
import { useEffect, useRef, useState } from 'preact/hooks';
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
        delay = RETRY_FIRST_MS;
        const parser = createParser({
          onEvent: (message) => {
            if (message.id !== undefined) lastId = message.id;
            // The stream starts after this position: read everything up to it (nothing in between is missed).
            if (message.event === 'ready') {
              handlers.onChanges((JSON.parse(message.data) as { position: number }).position, []);
              return;
            }
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

/** While the live stream is down (reconnecting), screens reload this often instead. */
export const FALLBACK_REFRESH_MS = 5000;
/** While it is live, this often anyway: the waits and times in status shown grow without any change. */
export const LIVE_CLOCK_REFRESH_MS = 30_000;

/**
 * Keeps a screen current: `refresh` runs now, after every batch of changes the stream reports
 * (up to the last change's position), once after each (re)connection, and every
 * FALLBACK_REFRESH_MS only while the stream is down and the tab visible. One refresh runs at a
 * time; what arrives meanwhile runs next, once. Answers the stream's state, to show.
 */
export function useLiveRefresh(api: Api, refresh: (minPosition?: number) => Promise<void>, paused: boolean): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (paused) return;
    let running = false;
    // null: nothing waiting; undefined: a refresh without a position is waiting.
    let again: number | undefined | null = null;
    const run = async (minPosition?: number): Promise<void> => {
      if (running) {
        // Keep the highest position asked for; a reload without one only asks for a reload.
        again = again === null ? minPosition : minPosition === undefined ? again : Math.max(again ?? 0, minPosition);
        return;
      }
      running = true;
      try {
        await latest.current(minPosition);
      } finally {
        running = false;
      }
      if (again !== null) {
        const next = again;
        again = null;
        await run(next);
      }
    };
    let current: LiveState = 'connecting';
    const stop = watchChanges(api, {
      onChanges: (position) => void run(position),
      onState: (next) => {
        current = next;
        setState(next);
      },
    });
    // Waits and times in status are worked out when read: a quiet stream must not freeze them.
    let lastLiveReload = Date.now();
    const fallback = setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      if (current !== 'live' || Date.now() - lastLiveReload >= LIVE_CLOCK_REFRESH_MS) {
        lastLiveReload = Date.now();
        void run();
      }
    }, FALLBACK_REFRESH_MS);
    void run();
    return () => {
      stop();
      clearInterval(fallback);
    };
  }, [api, paused]);
  return state;
}

/** The stream's state beside the principal's name (a polite status region). */
export const LiveIndicator = ({ state }: { state: LiveState }) => (
  <p class={`live live-${state}`} role="status" data-live={state}>
    {state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting… (reloading every 5 s)'}
  </p>
);

/** A desk's top bar: its title, who is signed in, the live stream's state, Sign out. */
export const DeskHeader = ({
  title,
  principalId,
  live,
  onSignOut,
}: {
  title: string;
  principalId: string;
  live: LiveState;
  onSignOut: () => void;
}) => (
  <header class="top">
    <h1>{title}</h1>
    <p class="who">
      Signed in as <strong>{principalId}</strong>
    </p>
    <LiveIndicator state={live} />
    <button type="button" class="secondary" onClick={onSignOut}>
      Sign out
    </button>
  </header>
);
