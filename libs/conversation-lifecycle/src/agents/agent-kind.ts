import {
  AgentError,
  agentStream,
  decideAgent,
  evolveAgent,
  initialAgentState,
  toAgentEvent,
  type AgentCommand,
  type AgentEvent,
  type AgentState,
  type CapacityPolicy,
} from '@lib/domain';
import type { AggregateKind } from '../shared/command-loop';
import { fingerprint } from '../shared/deterministic-id';

/** Every attempt lost the race for the agent's stream to other writers: the caller may retry. */
export class AgentConcurrencyExhaustedError extends Error {
  readonly code = 'AGENT.CONCURRENT_UPDATE';
  constructor(
    readonly agentId: string,
    readonly attempts: number,
  ) {
    super(`Agent ${agentId} kept changing under ${attempts} attempts; retry the command`);
  }
}

/** Agents as the command loop runs them (registration, presence, capacity claims). */
export const agentKind = (policy: CapacityPolicy): AggregateKind<AgentCommand, AgentEvent, AgentState> => ({
  streamOf: agentStream,
  initialState: initialAgentState,
  decode: toAgentEvent,
  evolve: evolveAgent,
  decide: (command, state, agentId) => decideAgent(command, state, agentId, policy),
  fingerprint,
  isRefusal: (error) => error instanceof AgentError,
  statusOf: (state) => state.status,
  errors: {
    exhausted: (agentId, attempts) => new AgentConcurrencyExhaustedError(agentId, attempts),
    // Agent commands carry neither an If-Match revision nor an idempotency key.
    revisionMismatch: (agentId) => new Error(`Agent ${agentId}: commands are not pinned to a revision`),
    commandIdReused: (agentId) => new Error(`Agent ${agentId}: commands carry no idempotency key`),
  },
});
