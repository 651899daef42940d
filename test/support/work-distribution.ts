/**
 * Helpers for the agent, queue, capacity and routing suites: they set up queues and agents the
 * way an administrator would (the apps run with provision 'none'), read an agent's capacity from
 * its stream (GET /api/agents/:id) and from the board (GET /api/agents, read-your-writes at the
 * store's head), and wait for what a background process does with a bounded deadline.
 */
import type { ProjectorHost } from '@lib/read-models';
import { PROJECTOR } from '../../apps/api/src/infrastructure/read-models.module';
import type { Answer, JsonBody, TestApp } from './start-app';

export interface AgentClaimAnswer {
  conversationId: string;
  reservationId?: string;
  channel: string;
  queueId: string;
  units: number;
  forced: boolean;
  holding: 'assigned' | 'wrap_up';
  blockedUntil?: string;
  since: string;
}

/** GET /api/agents/:id: the agent as its stream says now. */
export interface AgentAnswer {
  id: string;
  capacity: number;
  queueIds: string[];
  presence: string;
  presenceSince: string;
  used: number;
  blocked: number;
  free: number;
  claims: AgentClaimAnswer[];
  lastAssignedAt?: string;
  revision: number;
  position?: number;
}

/** One row of the capacity board, GET /api/agents. */
export interface BoardRow {
  agentId: string;
  capacity: number;
  presence: string;
  presenceSince: string;
  queueIds: string[];
  used: number;
  blocked: number;
  free: number;
  forcedOver: boolean;
  lastAssignedAt?: string;
  claims: AgentClaimAnswer[];
}

export interface QueueRow {
  queueId: string;
  name: string;
  mode: 'pick' | 'push';
  priority: number;
  method: 'highest_free_capacity' | 'round_robin';
  createdAt: string;
  open: number;
  active: number;
  waiting: number;
  wrap_up: number;
  closed: number;
  agents: number;
}

export interface ConversationAnswer {
  id: string;
  status: string;
  agentId?: string;
  assignment?: 'awaiting_acceptance' | 'accepted';
  forced?: boolean;
  queueId: string;
  channel: string;
  declinedBy: string[];
  revision: number;
  allowedActions: string[];
}

export interface QueueSettingsInput {
  name?: string;
  mode?: 'pick' | 'push';
  priority?: number;
  method?: 'highest_free_capacity' | 'round_robin';
}

/** The answer or, when its status is not one of `expected`, an error showing the request and what came back. */
export const expectStatus = <B = JsonBody>(answer: Answer<B>, expected: number | number[], what: string): Answer<B> => {
  const allowed = Array.isArray(expected) ? expected : [expected];
  if (!allowed.includes(answer.statusCode)) {
    throw new Error(`${what} answered ${answer.statusCode}, expected ${allowed.join(' or ')}: ${answer.text}`);
  }
  return answer;
};

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs` (real time). */
export const eventually = async <T>(probe: () => Promise<T | undefined>, description: string, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const found = await probe();
      if (found !== undefined) return found;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${last ? `; last error: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Status code tally of a batch of answers: { 200: 3, 409: 29 }. */
export const tally = (answers: ReadonlyArray<{ statusCode: number }>): Record<number, number> =>
  answers.reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.statusCode]: (counts[a.statusCode] ?? 0) + 1 }), {});

/** Sets up and reads the work-distribution side of one test app through its HTTP API. */
export class Floor {
  constructor(readonly t: TestApp) {}

  async queue(id: string, settings: QueueSettingsInput = {}): Promise<Answer> {
    return expectStatus(await this.t.post('/api/queues', { id, ...settings }), [200, 201], `POST /api/queues ${id}`);
  }

  /** Registers or updates an agent; presence `null` leaves it out of the body (new agents start offline). */
  async agent(id: string, capacity: number, queueIds: string[], presence: string | null = 'available'): Promise<AgentAnswer> {
    const body = { id, capacity, queueIds, ...(presence === null ? {} : { presence }) };
    return expectStatus<AgentAnswer>(await this.t.post('/api/agents', body), [200, 201], `POST /api/agents ${id}`).body;
  }

  async presence(id: string, presence: string): Promise<AgentAnswer> {
    return expectStatus<AgentAnswer>(await this.t.post(`/api/agents/${id}/presence`, { presence }), 200, `presence ${id} ${presence}`).body;
  }

  /** Opens a conversation (must answer 201, status open). */
  async open(id: string, queueId: string, options: { channel?: string; priority?: number; customerId?: string } = {}) {
    const { channel = 'live_chat', priority, customerId = `cust-${id}` } = options;
    const body = { id, channel, queueId, customerId, ...(priority === undefined ? {} : { priority }) };
    const answer = expectStatus(await this.t.post('/api/conversations', body), 201, `open ${id} in ${queueId}`);
    if (answer.body.status !== 'open') throw new Error(`open ${id} left status ${answer.body.status}`);
    return answer.body as { id: string; status: string; revision: number; position: number };
  }

  /** A conversation command that must succeed (200); answers the body. */
  async command(id: string, action: string, body: unknown = {}) {
    return expectStatus(await this.t.post(`/api/conversations/${id}/${action}`, body), 200, `${action} ${id} ${JSON.stringify(body)}`)
      .body as { id: string; status: string; revision: number; position: number };
  }

  pick = (id: string, agentId: string) => this.command(id, 'pick', { agentId });
  assign = (id: string, agentId: string) => this.command(id, 'assign', { agentId });
  forceAssign = (id: string, agentId: string, supervisorId = 'sup-1') => this.command(id, 'assign', { agentId, force: true, supervisorId });
  accept = (id: string, agentId: string) => this.command(id, 'accept', { agentId });
  reject = (id: string, agentId: string) => this.command(id, 'reject', { agentId });
  endByAgent = (id: string, agentId: string) => this.command(id, 'end', { by: 'agent', agentId });
  closeSession = (id: string, agentId: string) => this.command(id, 'close-session', { agentId });
  release = (id: string, agentId: string) => this.command(id, 'release', { agentId });
  forceClose = (id: string, supervisorId = 'sup-1', reason = 'supervisor_cleanup') => this.command(id, 'close', { supervisorId, reason });

  /** End and close the session: a live chat (or any non-record) the agent finishes. */
  async finish(id: string, agentId: string): Promise<void> {
    await this.endByAgent(id, agentId);
    await this.closeSession(id, agentId);
  }

  async conversation(id: string): Promise<ConversationAnswer> {
    return expectStatus<ConversationAnswer>(await this.t.get(`/api/conversations/${id}`), 200, `GET conversation ${id}`).body;
  }

  async historyTypes(id: string): Promise<string[]> {
    const answer = expectStatus(await this.t.get(`/api/conversations/${id}/history`), 200, `GET history ${id}`);
    return (answer.body.events as Array<{ type: string }>).map((event) => event.type);
  }

  /** GET /api/agents/:id (from the agent's stream). */
  async agentNow(id: string): Promise<AgentAnswer> {
    return expectStatus<AgentAnswer>(await this.t.get(`/api/agents/${id}`), 200, `GET agent ${id}`).body;
  }

  /** used / blocked / free of an agent from its stream. */
  async usage(id: string): Promise<{ used: number; blocked: number; free: number }> {
    const { used, blocked, free } = await this.agentNow(id);
    return { used, blocked, free };
  }

  /** The conversations an agent's stream holds capacity for, sorted. */
  async claimIds(id: string): Promise<string[]> {
    return (await this.agentNow(id)).claims.map((claim) => claim.conversationId).sort();
  }

  head(): Promise<number> {
    return this.t.store.headPosition();
  }

  /** The whole capacity board once the views include everything written so far. */
  async board(): Promise<BoardRow[]> {
    const rows: BoardRow[] = [];
    const minPosition = await this.head();
    let cursor: string | undefined;
    do {
      const query = `minPosition=${minPosition}&limit=100${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = expectStatus(await this.t.get(`/api/agents?${query}`), 200, 'GET /api/agents').body as {
        items: BoardRow[];
        nextCursor?: string;
      };
      rows.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return rows;
  }

  async boardRow(agentId: string): Promise<BoardRow> {
    const row = (await this.board()).find((r) => r.agentId === agentId);
    if (!row) throw new Error(`agent ${agentId} is not on the capacity board`);
    return row;
  }

  /** Every queue with its counts, once the views include everything written so far. */
  async queues(): Promise<QueueRow[]> {
    const minPosition = await this.head();
    const answer = expectStatus(await this.t.get(`/api/queues?minPosition=${minPosition}&limit=100`), 200, 'GET /api/queues');
    return answer.body.items as QueueRow[];
  }

  /** Waits until every view (the routing views among them) has applied everything written so far. */
  async viewsCaughtUp(): Promise<void> {
    const head = await this.head();
    const projector = this.t.app.get<ProjectorHost>(PROJECTOR);
    if (!(await projector.waitForPosition(head, 10_000))) throw new Error(`the views did not reach position ${head}`);
  }
}
