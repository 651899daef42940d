import type { CommandAnswer } from '../../apps/api/src/conversations/conversations.controller';
import type { Page } from '@lib/read-models';
import type { Answer, TestApp } from './start-app';

export type { CommandAnswer } from '../../apps/api/src/conversations/conversations.controller';
export type { Page } from '@lib/read-models';

export type Query = Record<string, string | number | undefined>;

export const queryString = (query: Query): string => {
  const parts = Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
};

/**
 * Drives the service through HTTP for the view tests: sends commands (each must succeed),
 * remembers the log position of the last one, and reads views with `minPosition` set to it,
 * so a view is read only once it includes every write made so far. No sleeps anywhere.
 */
export class ViewDriver {
  /** Position of the last command's last event. */
  position = 0;
  /** Every accepted command in order, with the clock time it was sent at. */
  readonly sent: Array<CommandAnswer & { path: string; at: string }> = [];

  constructor(private readonly t: TestApp) {}

  get now(): string {
    return this.t.clock.now().toISOString();
  }

  advance(ms: number): this {
    this.t.clock.advance(ms);
    return this;
  }

  /** POST a command and require success; the answer's position becomes the read-your-writes floor. */
  async command(path: string, body: unknown, expectedStatus?: string): Promise<CommandAnswer> {
    const at = this.now;
    const answer = await this.t.post<CommandAnswer>(path, body);
    if (answer.statusCode !== 200 && answer.statusCode !== 201) {
      throw new Error(`POST ${path} ${JSON.stringify(body)} answered ${answer.statusCode}: ${answer.text}`);
    }
    if (expectedStatus !== undefined && answer.body.status !== expectedStatus) {
      throw new Error(`POST ${path} left status ${answer.body.status}, expected ${expectedStatus}`);
    }
    if (!(typeof answer.body.position === 'number' && answer.body.position > this.position)) {
      throw new Error(`POST ${path} answered position ${String(answer.body.position)}, not beyond ${this.position}`);
    }
    this.position = answer.body.position;
    this.sent.push({ ...answer.body, path, at });
    return answer.body;
  }

  open(id: string, options: { channel?: string; queueId?: string; customerId?: string; priority?: number } = {}) {
    const { channel = 'live_chat', queueId = 'support', customerId = `cust-${id}`, priority } = options;
    return this.command(
      '/api/conversations',
      { id, channel, queueId, customerId, ...(priority === undefined ? {} : { priority }) },
      'open',
    );
  }

  pick = (id: string, agentId: string) => this.command(`/api/conversations/${id}/pick`, { agentId }, 'active');
  assign = (id: string, agentId: string) => this.command(`/api/conversations/${id}/assign`, { agentId }, 'active');
  accept = (id: string, agentId: string) => this.command(`/api/conversations/${id}/accept`, { agentId }, 'active');
  reject = (id: string, agentId: string) => this.command(`/api/conversations/${id}/reject`, { agentId }, 'open');
  release = (id: string, agentId: string) => this.command(`/api/conversations/${id}/release`, { agentId }, 'open');
  endByAgent = (id: string, agentId: string) => this.command(`/api/conversations/${id}/end`, { by: 'agent', agentId }, 'wrap_up');
  endByCustomer = (id: string, expected: string) => this.command(`/api/conversations/${id}/end`, { by: 'customer' }, expected);
  closeSession = (id: string, agentId: string, expected: string) =>
    this.command(`/api/conversations/${id}/close-session`, { agentId }, expected);
  transferToQueue = (id: string, agentId: string, toQueueId: string) =>
    this.command(`/api/conversations/${id}/transfer`, { agentId, toQueueId }, 'open');
  transferToAgent = (id: string, agentId: string, toAgentId: string) =>
    this.command(`/api/conversations/${id}/transfer`, { agentId, toAgentId }, 'active');
  revive = (id: string, agentId: string) => this.command(`/api/conversations/${id}/revive`, { agentId }, 'active');
  resolve = (id: string, agentId: string) => this.command(`/api/conversations/${id}/resolve`, { agentId }, 'closed');
  customerMessage = (id: string, expected?: string) => this.command(`/api/conversations/${id}/messages`, { from: 'customer' }, expected);
  agentMessage = (id: string, agentId: string) => this.command(`/api/conversations/${id}/messages`, { from: 'agent', agentId });
  monitor = (id: string, supervisorId: string) => this.command(`/api/conversations/${id}/monitor`, { supervisorId });
  forceClose = (id: string, supervisorId: string, reason: string) =>
    this.command(`/api/conversations/${id}/close`, { supervisorId, reason }, 'closed');

  /** GET a view with minPosition = the last command's position; anything but 200 fails the test with the body. */
  async view<T = unknown>(path: string, query: Query = {}): Promise<Page<T>> {
    const answer = await this.t.get<Page<T>>(`${path}${queryString({ minPosition: this.position, ...query })}`);
    if (answer.statusCode !== 200) throw new Error(`GET ${path} ${JSON.stringify(query)} answered ${answer.statusCode}: ${answer.text}`);
    return answer.body;
  }

  /** Every page of a list from `query.cursor` (or the start) on, following nextCursor to the last page. */
  async allPages<T = unknown>(path: string, query: Query = {}): Promise<{ items: T[]; pages: Array<Page<T>> }> {
    const pages: Array<Page<T>> = [];
    let cursor = query.cursor === undefined ? undefined : String(query.cursor);
    do {
      const page = await this.view<T>(path, { ...query, cursor });
      pages.push(page);
      cursor = page.nextCursor;
      if (pages.length > 1_000) throw new Error(`${path}: more than 1000 pages, the cursor does not advance`);
    } while (cursor !== undefined);
    return { items: pages.flatMap((p) => p.items), pages };
  }

  /** A raw GET, for error cases. */
  raw(path: string, query: Query = {}): Promise<Answer> {
    return this.t.get(`${path}${queryString(query)}`);
  }
}
