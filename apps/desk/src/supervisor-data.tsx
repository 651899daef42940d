import { useEffect } from 'preact/hooks';
import { ApiError, type Api, type Page, type Presence } from './api';

/**
 * What the supervisor dashboard reads (docs/architecture.md, "HTTP contract"): Ongoing
 * conversations (GET /api/conversations), the queue list (GET /api/queues) and their live KPIs
 * (GET /api/stats/queues), the capacity board (GET /api/agents) and per-agent KPIs
 * (GET /api/stats/agents). Each screen has one `refresh(minPosition?)` that reloads all it
 * shows; the dashboard calls the visible screens' on an interval (and after each of its own
 * commands, up to the command's log position), and live changes can call the same.
 */

/** A screen's one way to reload everything it shows (up to a log position, after a command). */
export type Refresh = (minPosition?: number) => Promise<void>;

/** Where a mounted screen puts its refresh for the dashboard (and, later, live changes) to call. */
export interface RefreshSlot {
  current?: Refresh;
}

export type OngoingStatus = 'open' | 'active' | 'waiting' | 'wrap_up';
export const ONGOING_STATUSES: readonly OngoingStatus[] = ['open', 'active', 'waiting', 'wrap_up'];
export const CHANNELS = ['live_chat', 'persistent_chat', 'sms', 'social', 'teams', 'voice', 'record'] as const;

export interface OngoingConversation {
  conversationId: string;
  queueId: string;
  channel: string;
  status: OngoingStatus;
  assignment?: 'awaiting_acceptance' | 'accepted';
  agentId?: string;
  customerId: string;
  priority: number;
  openedAt: string;
  statusSince: string;
  timeInStatusMs: number;
  waitedMs: number;
  unreadCustomerMessages: number;
}

export interface OngoingFilter {
  queueId: string;
  status: string;
  agentId: string;
  channel: string;
}

export const NO_FILTER: OngoingFilter = { queueId: '', status: '', agentId: '', channel: '' };

export interface QueueOverview {
  queueId: string;
  name: string;
  mode: 'pick' | 'push';
  priority: number;
  agents: number;
  open: number;
  active: number;
  waiting: number;
  wrap_up: number;
  closed: number;
}

export type KpiWindowName = '15m' | '1h' | 'today';
export const KPI_WINDOWS: ReadonlyArray<{ name: KpiWindowName; label: string }> = [
  { name: '15m', label: 'Last 15 min' },
  { name: '1h', label: 'Last hour' },
  { name: 'today', label: 'Today' },
];

export interface KpiWindow {
  name: KpiWindowName;
  from: string;
  to: string;
  timeZone: string;
}

export interface QueueKpis {
  queueId: string;
  inQueue: number;
  awaitingAcceptance: number;
  longestWaitSeconds: number | null;
  answered: number;
  averageSpeedToAnswerSeconds: number | null;
  answeredWithinThreshold: number;
  serviceLevel: number | null;
  abandoned: number;
  abandonedRate: number | null;
  transferred: number;
  handled: number;
  averageHandleSeconds: number | null;
}

export interface QueueKpisList {
  window: KpiWindow;
  serviceLevelPolicy: { thresholdSeconds: number; abandoned: string };
  queues: QueueKpis[];
}

export interface BoardClaim {
  conversationId: string;
  channel: string;
  queueId: string;
  units: number;
  forced: boolean;
  holding: 'assigned' | 'wrap_up';
  since: string;
}

/** One row of the capacity board. */
export interface BoardRow {
  agentId: string;
  capacity: number;
  presence: Presence;
  presenceSince: string;
  queueIds: string[];
  used: number;
  blocked: number;
  free: number;
  forcedOver: boolean;
  claims: BoardClaim[];
}

export interface AgentKpis {
  agentId: string;
  occupancy: number | null;
  itemsHandled: number;
  averageHandleSeconds: number | null;
}

/** A section's data: the last good answer, and the last error if the latest load failed. */
export interface Loaded<T> {
  value?: T;
  error?: string;
}

/** A refusal other than 401 becomes the section's error; a 401 keeps what is shown (the sign-in screen covers it). */
export const settle = <T,>(previous: Loaded<T>, outcome: PromiseSettledResult<T>): Loaded<T> => {
  if (outcome.status === 'fulfilled') return { value: outcome.value };
  const error = outcome.reason;
  if (error instanceof ApiError && error.statusCode === 401) return previous;
  return { value: previous.value, error: error instanceof Error ? error.message : String(error) };
};

/** Every page of a list (at most `maxPages` of `limit`), for the lists a dashboard shows whole: queues, agents. */
export const allPages = async <T,>(api: Api, path: string, minPosition?: number, limit = 500, maxPages = 20): Promise<T[]> => {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const query = `limit=${limit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const answer = await api.get<Page<T>>(`${path}${path.includes('?') ? '&' : '?'}${query}`, minPosition);
    items.push(...answer.items);
    cursor = answer.nextCursor;
    if (cursor === undefined) break;
  }
  return items;
};

/** Puts a screen's refresh in its slot while the screen is mounted. */
export const useRefreshSlot = (slot: RefreshSlot | undefined, refresh: Refresh): void => {
  useEffect(() => {
    if (!slot) return;
    slot.current = refresh;
    return () => {
      if (slot.current === refresh) slot.current = undefined;
    };
  }, [slot, refresh]);
};

/** 0.8333 reads "83 %"; no figure reads "—". */
export const percent = (fraction: number | null | undefined): string =>
  fraction === null || fraction === undefined ? '—' : `${Math.round(fraction * 100)} %`;
