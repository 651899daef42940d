import type { Presence } from './agent.presence';

export type AgentErrorCode =
  | 'AGENT.NOT_FOUND'
  | 'AGENT.NOT_IN_QUEUE'
  | 'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK'
  | 'AGENT.NO_FREE_CAPACITY'
  | 'AGENT.ASSIGNMENT_IN_PROGRESS';

/**
 * A command the agent refuses. It names the condition that failed and what the agent has
 * now (presence, queues, capacity), so the caller knows what would make it pass.
 */
export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly agentId: string,
    readonly details: Record<string, unknown> & { presence?: Presence } = {},
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
