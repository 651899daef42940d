/**
 * The service's HTTP API as the desk uses it (docs/architecture.md, "HTTP contract"; the
 * OpenAPI document at /api/docs-json). Same origin: paths are relative to the page, so a desk
 * served under a path prefix calls the API under the same prefix.
 */

export type Presence = 'available' | 'busy' | 'busy_dnd' | 'away' | 'offline';
export const PRESENCES: readonly Presence[] = ['available', 'busy', 'busy_dnd', 'away', 'offline'];

export type ConversationStatus = 'open' | 'active' | 'waiting' | 'wrap_up' | 'closed';

export interface Actor {
  kind: string;
  id: string;
}

export interface Agent {
  id: string;
  capacity: number;
  queueIds: string[];
  presence: Presence;
  presenceSince: string;
  used: number;
  blocked: number;
  free: number;
  revision: number;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface MyWorkItem {
  conversationId: string;
  status: 'active' | 'waiting' | 'wrap_up';
  statusSince: string;
  channel: string;
  queueId: string;
  customerId: string;
  unreadCustomerMessages: number;
  awaitingAcceptance: boolean;
}

export interface QueueWorkItem {
  conversationId: string;
  queueId: string;
  channel: string;
  customerId: string;
  priority: number;
  queuedSince: string;
  waitMs: number;
  unreadCustomerMessages: number;
}

export interface ClosedWorkItem {
  conversationId: string;
  agentId: string;
  channel: string;
  queueId: string;
  customerId: string;
  closedAt: string;
  closedBy: Actor;
  closeReason: string;
}

export interface Conversation {
  id: string;
  status: ConversationStatus;
  channel: string;
  queueId: string;
  customerId: string;
  priority: number;
  openedAt: string;
  statusSince: string;
  unreadCustomerMessages: number;
  agentId?: string;
  assignment?: 'awaiting_acceptance' | 'accepted';
  closedAt?: string;
  closedBy?: Actor;
  closeReason?: string;
  revision: number;
  allowedActions: string[];
  /** The timers running now; remainingMs is on the service's clock. */
  timers?: Array<{ kind: string; since: string; dueAt?: string; remainingMs?: number }>;
}

export interface HistoryEntry {
  revision: number;
  type: string;
  at: string;
  actor: Actor;
  reason: string;
}

export interface History {
  id: string;
  events: HistoryEntry[];
}

export interface Queue {
  id: string;
  name: string;
}

export interface CommandAnswer {
  id: string;
  status: ConversationStatus;
  revision: number;
  position: number;
}

/** Every refusal's body: `{statusCode, code, message, ...details}`. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  status?: ConversationStatus;
  allowedActions?: string[];
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: ErrorBody | undefined,
    message: string,
  ) {
    super(message);
  }

  get code(): string | undefined {
    return this.body?.code;
  }

  /** The conversation changed under the caller: a pinned revision that is not the current one (412), or a move its state no longer allows (409). */
  get isConflict(): boolean {
    return this.statusCode === 412 || (this.statusCode === 409 && (this.code ?? '').startsWith('CONVERSATION.'));
  }
}

export interface Api {
  get<T>(path: string, minPosition?: number): Promise<T>;
  post<T>(path: string, body: object, ifMatchRevision?: number): Promise<T>;
  /** A streamed GET (server-sent events): the open response, or the refusal thrown as for any call. */
  stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response>;
}

/**
 * Calls with the session's bearer token. A 401 (expired or refused token) is reported to
 * `onUnauthorized` (the desk then asks to sign in again) and thrown like any refusal.
 */
export const createApi = (token: () => string | undefined, onUnauthorized: () => void): Api => {
  const call = async <T,>(method: 'GET' | 'POST', path: string, body?: object, headers: Record<string, string> = {}): Promise<T> => {
    const bearer = token();
    if (bearer === undefined) throw new ApiError(401, undefined, 'Not signed in');
    let response: Response;
    try {
      response = await fetch(`api/${path}`, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, undefined, 'The service cannot be reached; check the connection');
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    const error = parsed as ErrorBody | undefined;
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, error, error?.message ?? `The service answered ${response.status}`);
  };
  const stream = async (path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> => {
    const bearer = token();
    if (bearer === undefined) throw new ApiError(401, undefined, 'Not signed in');
    const response = await fetch(`api/${path}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${bearer}`, ...headers },
      cache: 'no-store',
      signal,
    });
    if (response.ok && response.body !== null) return response;
    const error = (await response.json().catch(() => undefined)) as ErrorBody | undefined;
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, error, error?.message ?? `The service answered ${response.status}`);
  };
  return {
    stream,
    get: (path, minPosition) =>
      call('GET', minPosition === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}minPosition=${minPosition}`),
    post: (path, body, ifMatchRevision) =>
      call('POST', path, body, ifMatchRevision === undefined ? {} : { 'if-match': `"${ifMatchRevision}"` }),
  };
};

/** An id as one path segment. */
export const seg = (id: string): string => encodeURIComponent(id);
