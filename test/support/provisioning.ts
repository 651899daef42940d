import type { Answer } from './start-app';

type Post = (path: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer>;

/** Capacity of an agent the harness registers: large enough never to be what a suite tests. */
export const PROVISIONED_AGENT_CAPACITY = 1000;

const ACTION = /^\/api\/conversations\/[^/?]+\/(pick|assign|revive|transfer|consult)$/;

/**
 * Suites written about conversations alone name queues and agents freely. This sets the world
 * up the way an administrator would before they act: a queue (pick mode) for every queue a
 * conversation is opened into or transferred to, and an available agent serving every such
 * queue for every agent that picks, is assigned, revives, receives a transfer or is consulted. Suites about
 * agents, queues and capacity start their apps with `provision: 'none'` and do it themselves.
 */
export class OnDemandProvisioning {
  private readonly queues = new Set<string>();
  private readonly agents = new Set<string>();

  constructor(private readonly post: Post) {}

  /** Called before every POST the suite sends. */
  async before(path: string, body: unknown): Promise<void> {
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (path === '/api/conversations') await this.queue(fields.queueId);
    const action = ACTION.exec(path)?.[1];
    if (action === undefined) return;
    if (action === 'transfer') {
      await this.queue(fields.toQueueId);
      await this.agent(fields.toAgentId);
      return;
    }
    if (action === 'consult') {
      await this.agent(fields.consultantId);
      return;
    }
    await this.agent(fields.agentId);
  }

  private async queue(queueId: unknown): Promise<void> {
    if (typeof queueId !== 'string' || this.queues.has(queueId)) return;
    const created = await this.post('/api/queues', { id: queueId });
    // An id the API refuses stays unknown: the suite is testing that refusal.
    if (created.statusCode >= 300) return;
    this.queues.add(queueId);
    for (const agentId of this.agents) await this.register(agentId);
  }

  private async agent(agentId: unknown): Promise<void> {
    if (typeof agentId !== 'string' || this.agents.has(agentId)) return;
    if ((await this.register(agentId)).statusCode < 300) this.agents.add(agentId);
  }

  private register(agentId: string): Promise<Answer> {
    return this.post('/api/agents', {
      id: agentId,
      capacity: PROVISIONED_AGENT_CAPACITY,
      queueIds: [...this.queues],
      presence: 'available',
    });
  }
}
